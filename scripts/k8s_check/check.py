#!/usr/bin/python3
"""k8s-check: proves as much of k8s/ as can be proven without a cluster.

For every overlay in k8s/overlays/:
  1. renders it with `kubectl kustomize`;
  2. validates every object against the Kubernetes API schemas, offline
     (validate.mjs: kubernetes-models' compiled OpenAPI schemas, plus unknown
     fields), after a self-test showing that a wrong type, a missing required
     field and an unknown field each fail;
  3. checks the operational requirements the manifests exist for
     (securityContext, resources, probes; in production HPAs, PDBs, a
     deny-all NetworkPolicy, a LoadBalancer on 9001, topology spread, Redis
     replicas with Sentinel; in dev one Redis on a PVC with AOF always);
  4. runs the rendered CMTP containers -- their command, args and
     environment exactly as rendered -- as local processes from the build
     folder: Service names become loopback ports, volumes become temporary
     folders (the server-key Secret a key made with openssl, a TLS Secret
     certificates made with `cmtpctl dev-ca`), Redis a local redis-server
     (plus replicas, plus Sentinels when the overlay has them) with the
     rendered config's essential settings; every listening flag (gRPC,
     health, admin, metrics) a free loopback port; executes the rendered
     readiness and liveness probes; runs a two-user mail exchange with the
     `cmtp` CLI (and, with mutual TLS, shows a client without a certificate
     refused); then sends SIGTERM and requires every process to exit within
     its terminationGracePeriodSeconds.

Usage: check.py [BUILD_DIR]   (default: $CMTP_BUILD_DIR, else build/)
Exit status 0 when every overlay passes; 1 with a message naming the first
problem otherwise.
"""
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    import yaml
except ImportError:
    sys.exit("k8s-check: PyYAML is missing (apt-get install python3-yaml, or make deps)")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OVERLAYS = os.path.join(ROOT, "k8s", "overlays")
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
# Settings of the rendered redis.conf that the local Redis takes over; the
# rest (bind, port, dir, include, ...) describe the pod, not the data.
REDIS_ESSENTIALS = ("appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy",
                    "min-replicas-to-write", "min-replicas-max-lag")
# Flags of a CMTP binary that bind HOST:PORT besides its main listener; each
# becomes a free loopback port when set.
EXTRA_LISTEN_FLAGS = ("health-listen", "admin-listen", "metrics-listen")
START_TIMEOUT = 30.0
CLI_TIMEOUT = 60


class CheckFailed(Exception):
    pass


def fail(message):
    raise CheckFailed(message)


def log(message):
    print(f"k8s-check: {message}", flush=True)


def run(argv, **kwargs):
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run(argv, **kwargs)


# ---------------------------------------------------------------------------
# Prerequisites


def require_tools():
    hints = {"kubectl": "kubectl (kustomize is built in)", "node": "Node.js", "npm": "npm",
             "redis-server": "make deps", "redis-cli": "make deps", "openssl": "apt-get install openssl"}
    missing = [f"{tool} ({hint})" for tool, hint in hints.items() if shutil.which(tool) is None]
    if missing:
        fail("missing tools: " + ", ".join(missing))


def ensure_node_modules():
    marker = os.path.join(HERE, "node_modules", ".package-lock.json")
    lock = os.path.join(HERE, "package-lock.json")
    if os.path.exists(marker) and os.path.getmtime(marker) >= os.path.getmtime(lock):
        return
    log("installing the schema validator (npm ci in scripts/k8s_check)")
    result = run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE)
    if result.returncode != 0:
        fail("npm ci failed in scripts/k8s_check:\n" + result.stdout + result.stderr)


# ---------------------------------------------------------------------------
# Containerfile: its build packages come from install-deps.sh, and each
# runtime target's entrypoint is what the manifests run.


def containerfile_facts():
    path = os.path.join(ROOT, "Containerfile")
    if not os.path.exists(path):
        fail("Containerfile is missing")
    text = open(path).read().replace("\\\n", " ")
    deps = open(os.path.join(ROOT, "scripts", "install-deps.sh")).read()
    declared = re.search(r"PACKAGES=\((.*?)\)", deps, re.S)
    if not declared:
        fail("cannot find PACKAGES=(...) in scripts/install-deps.sh")
    known = set(re.sub(r"#.*", "", declared.group(1)).split())
    install = re.search(r"apt-get install (.*?)(&&|$)", text, re.M)
    if not install:
        fail("the Containerfile's build stage installs no packages")
    wanted = {w for w in install.group(1).split() if not w.startswith("-")}
    strays = sorted(wanted - known)
    if strays:
        fail(f"the Containerfile installs {', '.join(strays)}, which scripts/install-deps.sh does not")
    entrypoints = {}
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    for stage in stages:
        header = stage.splitlines()[0]
        m = re.match(r"(\S+)\s+AS\s+(\S+)", header, re.I)
        if not m:
            continue
        base, target = m.group(1), m.group(2)
        entry = re.search(r'^ENTRYPOINT \["([^"]+)"', stage, re.M)
        if base == "scratch" and entry:
            if not re.search(r"^USER 65532", stage, re.M):
                fail(f"Containerfile target {target} does not run as user 65532")
            entrypoints[target] = entry.group(1)
    for target in ("keyserver", "mailstore", "gateway", "relay", "cli"):
        if target not in entrypoints and target != "cli":
            fail(f"Containerfile has no scratch runtime target {target}")
    return entrypoints


# ---------------------------------------------------------------------------
# Rendering and schema validation


def render(overlay):
    result = run(["kubectl", "kustomize", os.path.join(OVERLAYS, overlay)])
    if result.returncode != 0:
        fail(f"kubectl kustomize k8s/overlays/{overlay} failed:\n{result.stderr}")
    try:
        docs = [d for d in yaml.safe_load_all(result.stdout) if d is not None]
    except yaml.YAMLError as error:
        fail(f"{overlay}: rendered output is not YAML: {error}")
    if not docs:
        fail(f"{overlay}: renders no objects")
    return docs


def validate(docs, label, self_test=False):
    argv = ["node", os.path.join(HERE, "validate.mjs")] + (["--self-test"] if self_test else [])
    result = run(argv, input=json.dumps(docs))
    output = (result.stdout + result.stderr).strip()
    for line in output.splitlines():
        print(f"  {label}: {line}")
    if result.returncode != 0:
        fail(f"{label}: schema validation {'self-test ' if self_test else ''}failed")


# ---------------------------------------------------------------------------
# The rendered overlay


def image_base(image):
    name = image.split("@")[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":")[0]


class Overlay:
    def __init__(self, name, docs):
        self.name = name
        self.docs = docs
        self.by_kind = {}
        for doc in docs:
            self.by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
        namespaces = {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}
        namespaces.discard(None)
        if len(namespaces) != 1:
            fail(f"{name}: expected one namespace, found {sorted(namespaces) or 'none'}")
        self.namespace = namespaces.pop()
        self.workloads = [d for d in docs if d["kind"] in WORKLOAD_KINDS]

    def objects(self, kind):
        return self.by_kind.get(kind, {})

    def get(self, kind, name):
        return self.by_kind.get(kind, {}).get(name)


def pod_spec(workload):
    return workload["spec"]["template"]["spec"]


def role_of(workload):
    """cmtp, redis, sentinel, proxy, or other."""
    containers = pod_spec(workload)["containers"]
    images = [image_base(c.get("image", "")) for c in containers]
    if any(i.startswith("cmtp-") for i in images):
        return "cmtp"
    for c in containers:
        argv = c.get("command", []) + c.get("args", [])
        if argv and os.path.basename(argv[0]) == "redis-server":
            return "sentinel" if "--sentinel" in argv else "redis"
        if argv and os.path.basename(argv[0]) == "redis-sentinel":
            return "sentinel"
        if argv and os.path.basename(argv[0]) == "haproxy":
            return "proxy"
    return "other"


def selects(service, workload):
    selector = service["spec"].get("selector") or {}
    labels = workload["spec"]["template"]["metadata"].get("labels", {})
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


# ---------------------------------------------------------------------------
# Requirements the manifests exist for


def check_requirements(ov):
    problems = []
    for w in ov.workloads:
        where = f"{w['kind']}/{w['metadata']['name']}"
        spec = pod_spec(w)
        pod_sc = spec.get("securityContext", {})
        for c in spec.get("initContainers", []) + spec["containers"]:
            at = f"{where} container {c['name']}"
            sc = c.get("securityContext", {})
            if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
                problems.append(f"{at}: runAsNonRoot is not set")
            uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
            if uid in (None, 0):
                problems.append(f"{at}: no non-zero runAsUser")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{at}: readOnlyRootFilesystem is not true")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{at}: allowPrivilegeEscalation is not false")
            if "ALL" not in (sc.get("capabilities", {}).get("drop") or []):
                problems.append(f"{at}: capabilities do not drop ALL")
            seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
            if seccomp != "RuntimeDefault":
                problems.append(f"{at}: seccompProfile is not RuntimeDefault")
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in (res.get(part) or {}):
                        problems.append(f"{at}: no {part}.{resource}")
        for c in spec["containers"]:
            at = f"{where} container {c['name']}"
            ready, live = c.get("readinessProbe"), c.get("livenessProbe")
            if not ready or not live:
                problems.append(f"{at}: needs both a readinessProbe and a livenessProbe")
            elif ready == live:
                problems.append(f"{at}: readiness and liveness probes are identical")
            if role_of(w) == "cmtp" and image_base(c["image"]) != "cmtp-gateway":
                if not (ready or {}).get("grpc"):
                    problems.append(f"{at}: a gRPC service needs a native gRPC readinessProbe")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: automountServiceAccountToken is not false")

    lbs = [s for s in ov.objects("Service").values()
           if s["spec"].get("type") == "LoadBalancer"
           and any(p.get("port") == 9001 for p in s["spec"].get("ports", []))]
    if not lbs:
        problems.append("no LoadBalancer Service exposes CMTP on port 9001")

    cmtp = [w for w in ov.workloads if role_of(w) == "cmtp"]
    redis = [w for w in ov.workloads if role_of(w) == "redis"]
    if len(redis) != 1 or redis[0]["kind"] != "StatefulSet":
        problems.append("expected exactly one Redis StatefulSet")
    elif not redis[0]["spec"].get("volumeClaimTemplates"):
        problems.append("Redis keeps its data on no PersistentVolumeClaim")

    if ov.name == "dev" and redis and redis[0]["spec"].get("replicas", 1) != 1:
        problems.append("dev: Redis should be a single instance")
    if ov.name == "production":
        hpa_targets = {h["spec"]["scaleTargetRef"]["name"]
                       for h in ov.objects("HorizontalPodAutoscaler").values()}
        for w in cmtp:
            name = w["metadata"]["name"]
            if w["kind"] != "Deployment":
                problems.append(f"production: {name} should be a stateless Deployment")
            if name not in hpa_targets:
                problems.append(f"production: no HorizontalPodAutoscaler for {name}")
        pdbs = list(ov.objects("PodDisruptionBudget").values())
        for w in ov.workloads:
            labels = w["spec"]["template"]["metadata"].get("labels", {})
            if not any(all(labels.get(k) == v for k, v in
                           p["spec"]["selector"].get("matchLabels", {}).items()) for p in pdbs):
                problems.append(f"production: no PodDisruptionBudget covers {w['metadata']['name']}")
            replicas = w["spec"].get("replicas", 1)
            if replicas > 1 and not pod_spec(w).get("topologySpreadConstraints"):
                problems.append(f"production: {w['metadata']['name']} has {replicas} replicas "
                                "but no topologySpreadConstraints")
        deny = [p for p in ov.objects("NetworkPolicy").values()
                if p["spec"].get("podSelector") == {}
                and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                and not p["spec"].get("ingress") and not p["spec"].get("egress")]
        if not deny:
            problems.append("production: no deny-all NetworkPolicy baseline")
        if redis and redis[0]["spec"].get("replicas", 1) < 2:
            problems.append("production: Redis has no replicas")
        if not any(role_of(w) == "sentinel" for w in ov.workloads):
            problems.append("production: no Redis Sentinel")
    if problems:
        fail(f"{ov.name}: requirements not met:\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------------------
# Local run


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tcp_open(port, timeout=1.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def parse_help(text):
    """Flags a binary declares: {flag: (env or None, default)}."""
    flags = {}
    for line in text.splitlines():
        m = re.match(r"\s*--([a-z0-9-]+)\s", line)
        if not m:
            continue
        env = re.search(r"\[env (CMTP_[A-Z0-9_]+)\]", line)
        default = re.search(r'\(default "([^"]*)"\)', line)
        flags[m.group(1)] = (env.group(1) if env else None, default.group(1) if default else "")
    return flags


def cmake_defines(binary):
    for folder in ("services", "tools"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            if "CMakeLists.txt" in files:
                text = open(os.path.join(dirpath, "CMakeLists.txt")).read()
                if re.search(r"add_executable\(\s*" + re.escape(binary) + r"[\s)]", text):
                    return True
    return False


def find_binary(build, name):
    for folder in ("services", "tools"):
        base = os.path.join(build, folder)
        if not os.path.isdir(base):
            continue
        for entry in sorted(os.listdir(base)):
            candidate = os.path.join(base, entry, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def make_server_key(path):
    """A server key the way docs/operations.md makes one: openssl's Ed25519
    seed followed by its public key (libsodium's 64-byte layout)."""
    pem = path + ".pem"
    result = run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", pem])
    if result.returncode != 0:
        fail(f"openssl failed: {result.stderr}")
    private = run(["openssl", "pkey", "-in", pem, "-outform", "DER"], text=False).stdout
    public = run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"], text=False).stdout
    os.unlink(pem)
    if len(private) < 32 or len(public) < 32:
        fail("openssl produced no Ed25519 key")
    with open(path, "wb") as f:
        f.write(private[-32:] + public[-32:])
    os.chmod(path, 0o440)


class Process:
    def __init__(self, name, argv, env, log_path, grace):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.grace = grace
        self.log = open(log_path, "w")
        self.popen = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True,
                                      cwd=os.path.dirname(log_path))

    def alive(self):
        return self.popen.poll() is None

    def tail(self, lines=25):
        try:
            return "".join(open(self.log_path, errors="replace").readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        """SIGTERM; returns (exited within grace, exit code)."""
        if self.popen.poll() is not None:
            return True, self.popen.returncode
        self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout=self.grace)
            return True, code
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            return False, None
        finally:
            self.log.close()


class LocalSuite:
    def __init__(self, ov, build, tmp, entrypoints, quiet=False):
        self.quiet = quiet
        self.ov = ov
        self.build = build
        self.tmp = tmp
        self.entrypoints = entrypoints
        self.processes = []
        self.workload_ports = {}   # workload name -> {containerPort: local port}
        self.skipped = set()       # workload names not run (binary not in this tree)
        self.secret_files = {}     # secret name -> {key: bytes}
        self.effective = {}        # workload name -> {flag: effective value}
        self.redis_port = None
        self.namespace = ov.namespace
        self.current_deps = None   # set while resolving one plan's addresses
        self.tls_dir = None        # the dev-ca folder behind a TLS Secret, once made

    def say(self, message):
        if not self.quiet:
            log(message)

    # -- addresses -----------------------------------------------------------
    def service_for_host(self, host):
        ns = self.namespace
        for suffix in ("", f".{ns}", f".{ns}.svc", f".{ns}.svc.cluster.local"):
            if suffix and host.endswith(suffix):
                name = host[: -len(suffix)]
            elif not suffix:
                name = host
            else:
                continue
            service = self.ov.get("Service", name)
            if service is not None:
                return service
        return None

    def resolve_service_port(self, service, port, context):
        name = service["metadata"]["name"]
        entry = next((p for p in service["spec"].get("ports", []) if p.get("port") == port), None)
        if entry is None:
            fail(f"{context}: Service {name} has no port {port}")
        targets = [w for w in self.ov.workloads if selects(service, w)]
        if len(targets) != 1:
            fail(f"{context}: Service {name} selects {len(targets)} workloads, expected one")
        workload = targets[0]
        wname = workload["metadata"]["name"]
        if self.current_deps is not None:
            self.current_deps.add(wname)
        target = entry.get("targetPort", port)
        if isinstance(target, str):
            numbers = [p["containerPort"] for c in pod_spec(workload)["containers"]
                       for p in c.get("ports", []) if p.get("name") == target]
            if not numbers:
                fail(f"{context}: Service {name} targets port name {target!r}, "
                     f"which no container of {wname} declares")
            target = numbers[0]
        if wname in self.skipped:
            return self.workload_ports.setdefault(wname, {}).setdefault(target, free_port())
        local = self.workload_ports.get(wname, {}).get(target)
        if local is None:
            fail(f"{context}: Service {name}:{port} leads to port {target} of {wname}, "
                 "on which nothing listens")
        return local

    def rewrite_addresses(self, value, context):
        def replace(match):
            host, port = match.group(1), int(match.group(2))
            if re.fullmatch(r"[0-9.]+", host):
                return match.group(0)
            service = self.service_for_host(host)
            if service is None:
                cluster_name = "." not in host or host.endswith(".svc") or \
                    host.endswith(".svc.cluster.local")
                if cluster_name:
                    fail(f"{context}: {host}:{port} names no Service of the overlay")
                return match.group(0)
            return f"127.0.0.1:{self.resolve_service_port(service, port, context)}"
        return re.sub(r"(?<![\w.-])([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9-]+)*):(\d{1,5})(?![\w])", replace, value)

    # -- volumes and environment --------------------------------------------
    def secret_data(self, name, wanted_keys, context):
        if name in self.secret_files:
            return self.secret_files[name]
        secret = self.ov.get("Secret", name)
        data = {}
        if secret is not None:
            for k, v in (secret.get("data") or {}).items():
                data[k] = base64.b64decode(v)
            for k, v in (secret.get("stringData") or {}).items():
                data[k] = v.encode()
        elif "ca.crt" in wanted_keys:
            # The TLS Secret the operator creates from `cmtpctl dev-ca`
            # (docs/operations.md); made here the same way, with a
            # certificate for every name any pod of the overlay mounts.
            data = self.make_tls_secret(name)
        elif set(wanted_keys) == {"server.key"}:
            # Created by the operator (docs/operations.md); made here the same way.
            path = os.path.join(self.tmp, f"{name}.server.key")
            make_server_key(path)
            data["server.key"] = open(path, "rb").read()
        else:
            fail(f"{context}: Secret {name} is not rendered and is not the server key")
        self.secret_files[name] = data
        return data

    def make_tls_secret(self, name):
        names = {"cmtpctl"}
        for w in self.ov.workloads:
            for v in pod_spec(w).get("volumes", []):
                if v.get("secret", {}).get("secretName") == name:
                    for item in v["secret"].get("items") or []:
                        base, _, ext = item["key"].rpartition(".")
                        if item["key"] != "ca.crt" and ext in ("crt", "key"):
                            names.add(base)
        binary = find_binary(self.build, "cmtpctl")
        if binary is None:
            fail(f"{self.ov.name}: cmtpctl (for dev-ca) is missing in {self.build}")
        out = os.path.join(self.tmp, f"{name}.dev-ca")
        result = run([binary, "dev-ca", "--out", out, "--services", ",".join(sorted(names)),
                      "--namespace", self.namespace])
        if result.returncode != 0:
            fail(f"cmtpctl dev-ca failed:\n{result.stdout}{result.stderr}")
        self.tls_dir = out
        return {f: open(os.path.join(out, f), "rb").read() for f in os.listdir(out)}

    def materialize_volumes(self, workload, container, context):
        """{mountPath: local folder} for the container's mounts."""
        volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
        claims = {c["metadata"]["name"] for c in workload["spec"].get("volumeClaimTemplates", [])}
        mounts = {}
        for mount in container.get("volumeMounts", []):
            if mount.get("subPath"):
                fail(f"{context}: subPath mounts are not supported by this check")
            local = os.path.join(self.tmp, workload["metadata"]["name"], "volumes", mount["name"])
            os.makedirs(local, exist_ok=True)
            volume = volumes.get(mount["name"])
            if volume is None and mount["name"] in claims:
                pass
            elif volume is None:
                fail(f"{context}: mounts volume {mount['name']}, which the pod does not define")
            elif "secret" in volume:
                source = volume["secret"]
                items = source.get("items")
                keys = [i["key"] for i in items] if items else ["server.key"]
                data = self.secret_data(source["secretName"], keys, context)
                for item in items or [{"key": k, "path": k} for k in data]:
                    if item["key"] not in data:
                        fail(f"{context}: Secret {source['secretName']} has no key {item['key']}")
                    path = os.path.join(local, item["path"])
                    with open(path, "wb") as f:
                        f.write(data[item["key"]])
                    os.chmod(path, source.get("defaultMode", 0o644))
            elif "configMap" in volume:
                cm = self.ov.get("ConfigMap", volume["configMap"]["name"])
                if cm is None:
                    fail(f"{context}: ConfigMap {volume['configMap']['name']} is not rendered")
                for key, text in (cm.get("data") or {}).items():
                    with open(os.path.join(local, key), "w") as f:
                        f.write(text)
            elif "emptyDir" in volume or "persistentVolumeClaim" in volume:
                pass
            else:
                fail(f"{context}: volume {mount['name']} is of a kind this check does not support")
            mounts[mount["mountPath"].rstrip("/")] = local
        return mounts

    def resolve_env(self, workload, container, context):
        env = {}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                cm = self.ov.get("ConfigMap", source["configMapRef"]["name"])
                if cm is None:
                    fail(f"{context}: envFrom ConfigMap {source['configMapRef']['name']} is not rendered")
                env.update({source.get("prefix", "") + k: v for k, v in (cm.get("data") or {}).items()})
            else:
                fail(f"{context}: envFrom other than configMapRef is not supported")
        for item in container.get("env", []):
            name = item["name"]
            if "value" in item:
                env[name] = str(item["value"])
                continue
            ref = item.get("valueFrom", {})
            if "configMapKeyRef" in ref:
                r = ref["configMapKeyRef"]
                cm = self.ov.get("ConfigMap", r["name"])
                value = (cm or {}).get("data", {}).get(r["key"])
                if value is None:
                    if r.get("optional"):
                        continue
                    fail(f"{context}: env {name} reads ConfigMap {r['name']} key {r['key']}, "
                         "which is not rendered (the pod would not start)")
                env[name] = value
            elif "secretKeyRef" in ref:
                r = ref["secretKeyRef"]
                data = self.secret_data(r["name"], [r["key"]], context)
                if r["key"] not in data:
                    fail(f"{context}: env {name}: Secret {r['name']} has no key {r['key']}")
                env[name] = data[r["key"]].decode()
            elif "fieldRef" in ref:
                field = ref["fieldRef"]["fieldPath"]
                values = {"metadata.name": f"{workload['metadata']['name']}-0",
                          "metadata.namespace": self.namespace}
                if field not in values:
                    fail(f"{context}: env {name}: fieldRef {field} is not supported")
                env[name] = values[field]
            else:
                fail(f"{context}: env {name}: this kind of valueFrom is not supported")
        return env

    # -- Redis -----------------------------------------------------------------
    def start_redis(self):
        redis = [w for w in self.ov.workloads if role_of(w) == "redis"]
        if len(redis) != 1:
            fail(f"{self.ov.name}: expected one Redis workload, found {len(redis)}")
        workload = redis[0]
        wname = workload["metadata"]["name"]
        container = next(c for c in pod_spec(workload)["containers"]
                         if os.path.basename((c.get("command", []) + c.get("args", []) + [""])[0])
                         == "redis-server")
        context = f"{self.ov.name} {wname}"
        argv = container.get("command", []) + container.get("args", [])
        conf_arg = next((a for a in argv[1:] if a.endswith(".conf")), None)
        if conf_arg is None:
            fail(f"{context}: redis-server is started without a config file")
        mounts = self.materialize_volumes(workload, container, context)
        local_conf = self.map_path(conf_arg, mounts, context)
        if not os.path.exists(local_conf):
            fail(f"{context}: {conf_arg} does not exist in the mounted volumes")
        settings = {}
        for line in open(local_conf):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition(" ")
            settings[key.lower()] = value.strip()
        if settings.get("appendonly") != "yes":
            fail(f"{context}: Redis runs without the AOF (appendonly yes)")
        if self.ov.name == "dev" and settings.get("appendfsync") != "always":
            fail(f"{context}: dev Redis must fsync the AOF on every write (appendfsync always)")
        if settings.get("maxmemory-policy", "noeviction") != "noeviction":
            fail(f"{context}: Redis may evict keys (maxmemory-policy "
                 f"{settings['maxmemory-policy']}): mail would disappear")
        port = int(settings.get("port", "6379"))
        declared = [p["containerPort"] for p in container.get("ports", [])]
        if port not in declared:
            fail(f"{context}: Redis listens on {port}, but the container declares {declared}")
        essentials = []
        for key in REDIS_ESSENTIALS:
            if key in settings:
                value = settings[key]
                essentials += [f"--{key}", "" if value in ('""', "''") else value]
        replicas = workload["spec"].get("replicas", 1)
        self.say(f"{self.ov.name}: Redis as rendered: {' '.join(repr(e) if not e else e for e in essentials)}; "
            f"1 master + {replicas - 1} replicas")
        master = None
        for index in range(replicas):
            local_port = free_port()
            data = os.path.join(self.tmp, "redis", str(index))
            os.makedirs(data, exist_ok=True)
            args = ["redis-server", "--port", str(local_port), "--bind", "127.0.0.1",
                    "--dir", data, "--daemonize", "no"] + essentials
            if master is not None:
                args += ["--replicaof", "127.0.0.1", str(master)]
            p = Process(f"redis-{index}", args, {"PATH": os.environ["PATH"]},
                        os.path.join(data, "redis.log"), 10)
            self.processes.append(p)
            self.wait_for(f"redis-{index}", p, lambda lp=local_port: run(
                ["redis-cli", "-p", str(lp), "PING"]).stdout.strip() == "PONG")
            if master is None:
                master = local_port
        if replicas > 1:
            # Until the replicas are online, min-replicas-to-write refuses writes.
            self.wait_for("Redis replication", None, lambda: len(re.findall(
                r"^slave\d+:.*state=online",
                run(["redis-cli", "-p", str(master), "INFO", "replication"]).stdout,
                re.M)) == replicas - 1)
        self.redis_port = master
        self.start_sentinels(master)
        for w in self.ov.workloads:
            if role_of(w) in ("redis", "proxy"):
                for c in pod_spec(w)["containers"]:
                    for p in c.get("ports", []):
                        self.workload_ports.setdefault(w["metadata"]["name"], {})[p["containerPort"]] = master

    def start_sentinels(self, master):
        """As many local Sentinels as the overlay runs, monitoring the local
        master under the name and quorum of the rendered Sentinel config; the
        Sentinel workload's port leads to the first."""
        sentinels = [w for w in self.ov.workloads if role_of(w) == "sentinel"]
        if not sentinels:
            return
        if len(sentinels) != 1:
            fail(f"{self.ov.name}: expected one Sentinel workload, found {len(sentinels)}")
        workload = sentinels[0]
        monitor = None
        for cm in self.ov.objects("ConfigMap").values():
            for text in (cm.get("data") or {}).values():
                m = re.search(r"^\s*sentinel monitor (\S+) \S+ \S+ (\d+)", text, re.M)
                if m:
                    monitor = (m.group(1), int(m.group(2)))
        if monitor is None:
            fail(f"{self.ov.name}: no rendered ConfigMap holds a `sentinel monitor` line")
        master_name, quorum = monitor
        count = workload["spec"].get("replicas", 1)
        if quorum > count:
            fail(f"{self.ov.name}: Sentinel quorum {quorum} but only {count} Sentinels")
        ports = []
        for index in range(count):
            port = free_port()
            folder = os.path.join(self.tmp, "sentinel", str(index))
            os.makedirs(folder, exist_ok=True)
            conf = os.path.join(folder, "sentinel.conf")
            with open(conf, "w") as f:
                f.write(f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
                        f"sentinel monitor {master_name} 127.0.0.1 {master} {quorum}\n"
                        f"sentinel down-after-milliseconds {master_name} 5000\n")
            p = Process(f"redis-sentinel-{index}", ["redis-server", conf, "--sentinel"],
                        {"PATH": os.environ["PATH"]}, os.path.join(folder, "sentinel.log"), 10)
            self.processes.append(p)
            self.wait_for(f"redis-sentinel-{index}", p, lambda sp=port: run(
                ["redis-cli", "-p", str(sp), "SENTINEL", "get-master-addr-by-name",
                 master_name]).stdout.split() == ["127.0.0.1", str(master)])
            ports.append(port)
        self.say(f"{self.ov.name}: {count} Sentinels monitor the master as {master_name!r} "
                 f"(quorum {quorum})")
        for c in pod_spec(workload)["containers"]:
            for p in c.get("ports", []):
                self.workload_ports.setdefault(workload["metadata"]["name"], {})[p["containerPort"]] = ports[0]

    def wait_for(self, what, process, ready, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process is not None and not process.alive():
                what = what() if callable(what) else what
                fail(f"{what} exited during start-up (status {process.popen.returncode}):\n"
                     + process.tail())
            if ready():
                return
            time.sleep(0.2)
        if callable(what):
            what = what()
        fail(f"{what} was not ready within {timeout:.0f} s"
             + (":\n" + process.tail() if process is not None else ""))

    # -- CMTP processes --------------------------------------------------------
    @staticmethod
    def map_path(value, mounts, context):
        for mount_path, local in sorted(mounts.items(), key=lambda kv: -len(kv[0])):
            if value == mount_path or value.startswith(mount_path + "/"):
                return local + value[len(mount_path):]
        fail(f"{context}: {value} is on no mounted volume (the image's root filesystem is "
             "read-only and holds nothing but the binary)")

    def plan_cmtp(self, workload):
        """Everything needed to start one CMTP container, addresses not yet resolved."""
        wname = workload["metadata"]["name"]
        containers = pod_spec(workload)["containers"]
        if len(containers) != 1:
            fail(f"{self.ov.name} {wname}: expected one container, found {len(containers)}")
        container = containers[0]
        context = f"{self.ov.name} {wname}"
        image = image_base(container["image"])
        target = image[len("cmtp-"):]
        command = container.get("command") or []
        if not command:
            fail(f"{context}: the container sets no command")
        expected = self.entrypoints.get(target)
        if expected is None:
            fail(f"{context}: image {image} is built by no Containerfile target {target}")
        if command[0] != expected:
            fail(f"{context}: runs {command[0]}, but image {image} holds {expected}")
        binary_name = os.path.basename(command[0])
        binary = find_binary(self.build, binary_name)
        if binary is None:
            if cmake_defines(binary_name):
                fail(f"{context}: {binary_name} is part of the build but missing in {self.build} "
                     "(build it first)")
            self.say(f"SKIP {context}: this tree does not build {binary_name} yet")
            self.skipped.add(wname)
            return None
        help_text = run([binary, "--help"])
        flags = parse_help(help_text.stdout + help_text.stderr)
        if not flags:
            fail(f"{context}: {binary_name} --help lists no flags")
        env_to_flag = {env: flag for flag, (env, _) in flags.items() if env}

        args = list(command[1:]) + list(container.get("args", []))
        parsed = []  # [flag, value] pairs, in order
        i = 0
        while i < len(args):
            arg = args[i]
            m = re.fullmatch(r"--([a-z0-9-]+)(?:=(.*))?", arg, re.S)
            if not m:
                fail(f"{context}: argument {arg!r} is not a --flag")
            flag = m.group(1)
            if flag not in flags:
                fail(f"{context}: {binary_name} has no flag --{flag}")
            if m.group(2) is None:
                if i + 1 >= len(args):
                    fail(f"{context}: --{flag} has no value")
                parsed.append([flag, args[i + 1]])
                i += 2
            else:
                parsed.append([flag, m.group(2)])
                i += 1
        env = self.resolve_env(workload, container, context)
        for name in env:
            if name.startswith("CMTP_") and name not in env_to_flag:
                fail(f"{context}: sets {name}, which {binary_name} does not read")
        mounts = self.materialize_volumes(workload, container, context)
        grace = pod_spec(workload).get("terminationGracePeriodSeconds", 30)
        return {"workload": workload, "wname": wname, "container": container,
                "context": context, "binary": binary, "binary_name": binary_name,
                "flags": flags, "env_to_flag": env_to_flag, "args": parsed,
                "env": env, "mounts": mounts, "grace": grace}

    def effective_value(self, plan, flag):
        for f, v in reversed(plan["args"]):
            if f == flag:
                return v
        env_name = plan["flags"][flag][0]
        if env_name and env_name in plan["env"]:
            return plan["env"][env_name]
        return plan["flags"][flag][1]

    def set_value(self, plan, flag, value):
        for pair in plan["args"]:
            if pair[0] == flag:
                pair[1] = value
        env_name = plan["flags"][flag][0]
        if not any(f == flag for f, _ in plan["args"]):
            if env_name and env_name in plan["env"]:
                plan["env"][env_name] = value
            else:
                plan["args"].append([flag, value])

    def assign_listen_ports(self, plan):
        """Moves the container's listen address to a free loopback port and
        records which container port it stands for."""
        context, flags = plan["context"], plan["flags"]
        declared = [p["containerPort"] for p in plan["container"].get("ports", [])]
        ports = self.workload_ports.setdefault(plan["wname"], {})

        def loopback_port(what, host, port):
            """Checks that `what` (HOST, PORT) is reachable from other pods on a
            declared port; returns the local port standing in for it."""
            if host not in ("0.0.0.0", "::", "[::]"):
                fail(f"{context}: {what} {host}:{port}: only the pod itself could reach it")
            if port not in declared:
                fail(f"{context}: {what} uses port {port}, but the container declares {declared}")
            ports[port] = free_port()
            return ports[port]

        def host_port(flag):
            value = self.effective_value(plan, flag)
            m = re.fullmatch(r"(.*):(\d+)", value)
            if not m:
                fail(f"{context}: --{flag} {value!r} is not HOST:PORT")
            return m.group(1), int(m.group(2))

        if "listen" in flags:
            local = loopback_port("--listen", *host_port("listen"))
            self.set_value(plan, "listen", f"127.0.0.1:{local}")
        elif "listen-address" in flags and "port" in flags:
            host = self.effective_value(plan, "listen-address")
            port = int(self.effective_value(plan, "port"))
            local = loopback_port("--listen-address/--port", host, port)
            self.set_value(plan, "listen-address", "127.0.0.1")
            self.set_value(plan, "port", str(local))
        else:
            fail(f"{context}: {plan['binary_name']} declares no listen flag this check knows")
        for flag in EXTRA_LISTEN_FLAGS:
            if flag in flags and self.effective_value(plan, flag):
                local = loopback_port(f"--{flag}", *host_port(flag))
                self.set_value(plan, flag, f"127.0.0.1:{local}")

    def finish_plan(self, plan):
        """Resolves Service names and volume paths in every flag value."""
        context = plan["context"]
        listen_flags = {"listen", "listen-address", "port"} | set(EXTRA_LISTEN_FLAGS)

        def rewrite(flag, value):
            if flag in listen_flags:
                return value
            value = self.rewrite_addresses(value, f"{context} --{flag}")
            if value.startswith("/"):
                value = self.map_path(value, plan["mounts"], f"{context} --{flag}")
            return value
        for pair in plan["args"]:
            pair[1] = rewrite(pair[0], pair[1])
        for name, value in list(plan["env"].items()):
            flag = plan["env_to_flag"].get(name)
            if flag:
                plan["env"][name] = rewrite(flag, value)
        effective = {flag: self.effective_value(plan, flag) for flag in plan["flags"]}
        self.effective[plan["wname"]] = effective
        key_flag = "server-key-file"
        if key_flag in plan["flags"]:
            key_path = effective[key_flag]
            volumes = {v["name"]: v for v in pod_spec(plan["workload"]).get("volumes", [])}
            secret_dirs = [plan["mounts"][m["mountPath"].rstrip("/")]
                           for m in plan["container"].get("volumeMounts", [])
                           if "secret" in volumes.get(m["name"], {})]
            if not any(key_path.startswith(d + "/") for d in secret_dirs):
                fail(f"{context}: --server-key-file is not on the server-key Secret's volume")
            if not os.path.isfile(key_path):
                fail(f"{context}: --server-key-file {key_path} is not in the mounted Secret")

    def start_cmtp(self, plan):
        argv = [plan["binary"]] + [f"--{flag}={value}" for flag, value in plan["args"]]
        env = {"PATH": os.environ["PATH"], "HOME": os.path.join(self.tmp, "home")}
        env.update(plan["env"])
        folder = os.path.join(self.tmp, plan["wname"])
        os.makedirs(folder, exist_ok=True)
        self.say(f"{self.ov.name}: start {plan['wname']}: "
            + " ".join([os.path.relpath(plan["binary"], ROOT)] + argv[1:])
            + "".join(f" {k}={v}" for k, v in sorted(plan["env"].items())))
        process = Process(plan["wname"], argv, env, os.path.join(folder, "process.log"), plan["grace"])
        self.processes.append(process)
        plan["process"] = process

    def probe(self, plan, probe, kind):
        context = f"{plan['context']} {kind}Probe"
        ports = self.workload_ports[plan["wname"]]
        if "grpc" in probe:
            port = probe["grpc"]["port"]
            if port not in ports:
                fail(f"{context}: gRPC port {port} is not the port the service listens on")
            argv = ["node", os.path.join(HERE, "probe.mjs"), f"127.0.0.1:{ports[port]}",
                    probe["grpc"].get("service", ""), str(probe.get("timeoutSeconds", 1))]
            result = run(argv)
            return result.returncode == 0, result.stdout.strip()
        if "tcpSocket" in probe:
            port = probe["tcpSocket"]["port"]
            if isinstance(port, str):
                named = [p["containerPort"] for p in plan["container"].get("ports", [])
                         if p.get("name") == port]
                if not named:
                    fail(f"{context}: names port {port!r}, which the container does not declare")
                port = named[0]
            if port not in ports:
                fail(f"{context}: TCP port {port} is not the port the service listens on")
            ok = tcp_open(ports[port], probe.get("timeoutSeconds", 1))
            return ok, "connected" if ok else "refused"
        fail(f"{context}: only gRPC and TCP probes can run here")

    # -- the whole thing -------------------------------------------------------
    def up(self):
        self.start_redis()
        plans = []
        for w in self.ov.workloads:
            if role_of(w) != "cmtp":
                continue
            plan = self.plan_cmtp(w)
            if plan is not None:
                plans.append(plan)
        if not plans:
            fail(f"{self.ov.name}: no CMTP service to run")
        for plan in plans:
            self.assign_listen_ports(plan)
        for plan in plans:
            self.current_deps = set()
            self.finish_plan(plan)
            plan["deps"] = self.current_deps - {plan["wname"]}
            self.current_deps = None
        self.check_production_settings(plans)
        # Start each service once the services it names are ready (the gateway
        # after keyserver and mailstore), as `make run` does: a gRPC channel
        # that first finds nothing backs off for a while.
        order, ready_names = [], set(self.workload_ports) - {p["wname"] for p in plans}
        pending = list(plans)
        while pending:
            batch = [p for p in pending if p["deps"] <= ready_names | self.skipped]
            if not batch:
                fail(f"{self.ov.name}: services name each other in a cycle: "
                     + ", ".join(p["wname"] for p in pending))
            for plan in batch:
                self.start_cmtp(plan)
            for plan in batch:
                self.await_ready(plan)
                ready_names.add(plan["wname"])
                pending.remove(plan)
                order.append(plan)
        self.plans = order
        return order

    def check_production_settings(self, plans):
        """What production promises, on the values each process really gets:
        mutual TLS on every gRPC hop, Redis found through Sentinel, writes
        that wait for a replica, metrics served."""
        if self.ov.name != "production":
            return
        problems = []
        for plan in plans:
            flags, at = plan["flags"], plan["context"]
            value = self.effective[plan["wname"]].get
            if "tls-client-ca" in flags and not (value("tls-cert") and value("tls-client-ca")):
                problems.append(f"{at}: serves gRPC without mutual TLS")
            if "tls-ca" in flags and not (value("tls-ca") and value("tls-cert")):
                problems.append(f"{at}: calls the services without TLS and a client certificate")
            if "redis-sentinels" in flags and not value("redis-sentinels"):
                problems.append(f"{at}: finds Redis without Sentinel (--redis-sentinels)")
            if "wait-replicas" in flags and int(value("wait-replicas") or "0") < 1:
                problems.append(f"{at}: writes do not wait for a replica (--wait-replicas)")
            if "metrics-listen" in flags and not value("metrics-listen"):
                problems.append(f"{at}: serves no metrics (--metrics-listen)")
        if problems:
            fail("production: settings not met: " + "; ".join(problems))

    def await_ready(self, plan):
        """Runs the rendered readiness probe until it passes, then the liveness probe once."""
        container = plan["container"]
        last = {}

        def ready():
            ok, detail = self.probe(plan, container["readinessProbe"], "readiness")
            last["detail"] = detail
            return ok
        self.wait_for(lambda: f"{plan['context']} (readinessProbe: {last.get('detail', 'not run')})",
                      plan["process"], ready)
        ok, detail = self.probe(plan, container["livenessProbe"], "liveness")
        if not ok:
            fail(f"{plan['context']}: livenessProbe fails on a ready process ({detail})")
        self.say(f"{self.ov.name}: {plan['wname']} ready (readiness and liveness probes pass)")

    def cmtp_cli(self, name, argv, stdin=None, expect_ok=True):
        binary = find_binary(self.build, name)
        if binary is None:
            fail(f"{name} is missing in {self.build}")
        env = {"PATH": os.environ["PATH"], "HOME": os.path.join(self.tmp, "home"),
               "CMTP_KDF_COST": "interactive"}
        result = run([binary] + argv, input=stdin, env=env, timeout=CLI_TIMEOUT)
        if expect_ok and result.returncode != 0:
            fail(f"{self.ov.name}: `{name} {' '.join(argv)}` failed ({result.returncode}):\n"
                 f"{result.stdout}{result.stderr}")
        return result

    def grpc_port(self, plan):
        """The container port of the plan's main --listen flag."""
        listen = self.effective[plan["wname"]].get("listen", "")
        for container_port, local in self.workload_ports[plan["wname"]].items():
            if listen == f"127.0.0.1:{local}":
                return container_port
        fail(f"{plan['context']}: cannot tell its gRPC port")

    def operator_tls_flags(self, plan):
        """cmtpctl's flags for a service, the dev-ca's cmtpctl certificate when
        the service wants TLS."""
        effective = self.effective[plan["wname"]]
        if not effective.get("tls-cert"):
            return []
        if self.tls_dir is None:
            fail(f"{plan['context']}: serves TLS with certificates this check did not make")
        flags = ["--tls-ca", os.path.join(self.tls_dir, "ca.crt")]
        if effective.get("tls-client-ca"):
            flags += ["--tls-cert", os.path.join(self.tls_dir, "cmtpctl.crt"),
                      "--tls-key", os.path.join(self.tls_dir, "cmtpctl.key")]
        return flags

    def exchange(self):
        by_image = {image_base(p["container"]["image"]): p for p in self.plans}
        gateway = by_image.get("cmtp-gateway")
        keyserver = by_image.get("cmtp-keyserver")
        if gateway is None or keyserver is None:
            fail(f"{self.ov.name}: the exchange needs a gateway and a keyserver")
        lbs = [s for s in self.ov.objects("Service").values()
               if s["spec"].get("type") == "LoadBalancer"]
        if not lbs:
            fail(f"{self.ov.name}: no LoadBalancer Service for clients")
        lb = lbs[0]
        lb_port = next((p["port"] for p in lb["spec"]["ports"] if p["port"] == 9001), None)
        if lb_port is None:
            fail(f"{self.ov.name}: Service {lb['metadata']['name']} does not offer port 9001")
        port = self.resolve_service_port(lb, lb_port, f"{self.ov.name} Service {lb['metadata']['name']}")
        server = f"127.0.0.1:{port}"
        domain = self.effective[gateway["wname"]]["domain"]
        ks_domain = self.effective[keyserver["wname"]]["domain"]
        if domain != ks_domain:
            fail(f"{self.ov.name}: the gateway serves {domain} but the keyserver {ks_domain}")
        registration = self.effective[keyserver["wname"]].get("registration", "open")
        ks_port = self.workload_ports[keyserver["wname"]][self.grpc_port(keyserver)]
        if self.effective[keyserver["wname"]].get("tls-client-ca"):
            # Mutual TLS: an operator without a certificate gets nowhere.
            refused = self.cmtp_cli("cmtpctl", ["--keyserver", f"127.0.0.1:{ks_port}",
                                                "--timeout-seconds", "5", "accounts", "list",
                                                "--tls-ca", os.path.join(self.tls_dir, "ca.crt")],
                                    expect_ok=False)
            if refused.returncode == 0 or "client certificate" not in refused.stderr:
                fail(f"{self.ov.name}: the keyserver let cmtpctl in without a client "
                     f"certificate ({refused.returncode}):\n{refused.stdout}{refused.stderr}")
            self.say(f"{self.ov.name}: mutual TLS: cmtpctl without a client certificate is refused")
        users = {}
        for user in ("alice", "bob"):
            folder = os.path.join(self.tmp, "clients", user)
            os.makedirs(folder, exist_ok=True)
            password = os.path.join(folder, "password")
            with open(password, "w") as f:
                f.write(f"{user} correct horse battery staple\n")
            users[user] = ["--password-file", password, "--state-dir", os.path.join(folder, "state")]
            argv = ["register", "--server", server, "--account", f"{user}@{domain}"] + users[user]
            if registration == "invite":
                token = self.cmtp_cli("cmtpctl", ["--keyserver", f"127.0.0.1:{ks_port}", "invite"]
                                      + self.operator_tls_flags(keyserver))
                argv += ["--invite", token.stdout.strip().splitlines()[0]]
            elif registration != "open":
                fail(f"{self.ov.name}: registration {registration!r}: the exchange needs open or invite")
            self.cmtp_cli("cmtp", argv)
            self.say(f"{self.ov.name}: registered {user}@{domain} via {lb['metadata']['name']}:{lb_port}")
        for sender, recipient in (("alice", "bob"), ("bob", "alice")):
            subject = f"k8s-check {self.ov.name} {sender} to {recipient}"
            body = f"Hello {recipient}, this is {sender} on the {self.ov.name} overlay.\n"
            self.cmtp_cli("cmtp", ["send", "--to", f"{recipient}@{domain}", "--subject", subject]
                          + users[sender], stdin=body)
            inbox = self.cmtp_cli("cmtp", ["inbox"] + users[recipient]).stdout
            ids = [line.split()[0] for line in inbox.splitlines()
                   if line.strip().endswith(f"{sender}@{domain}")]
            if len(ids) != 1:
                fail(f"{self.ov.name}: {recipient}'s inbox should hold one mail from {sender}:\n{inbox}")
            out_dir = os.path.join(self.tmp, "clients", recipient, "read")
            shown = self.cmtp_cli("cmtp", ["read", ids[0], "--out-dir", out_dir] + users[recipient]).stdout
            if body.strip() not in shown or subject not in shown:
                fail(f"{self.ov.name}: {recipient} read something else than {sender} sent:\n{shown}")
            self.say(f"{self.ov.name}: {sender} -> {recipient}: sent, listed, read and verified")

    def down(self):
        problems = []
        cmtp = [p for p in self.processes if not p.name.startswith("redis-")]
        for process in cmtp + [p for p in self.processes if p.name.startswith("redis-")]:
            in_time, code = process.stop()
            if not in_time:
                problems.append(f"{process.name} did not exit within {process.grace} s of SIGTERM")
            elif process in cmtp and code != 0:
                problems.append(f"{process.name} exited with status {code} after SIGTERM:\n"
                                + process.tail(10))
        self.processes = []
        return problems

    def tails(self):
        return "\n".join(f"--- {p.name} ({p.log_path}) ---\n"
                         f"{p.tail(5 if p.name.startswith('redis-') else 25)}"
                         for p in self.processes)


def run_locally(ov, build, entrypoints, keep, quiet=False):
    tmp = tempfile.mkdtemp(prefix=f"k8s-check-{ov.name}-")
    os.makedirs(os.path.join(tmp, "home"), exist_ok=True)
    suite = LocalSuite(ov, build, tmp, entrypoints, quiet)
    try:
        suite.up()
        suite.exchange()
    except CheckFailed as error:
        tails = suite.tails()
        suite.down()
        if quiet:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        raise CheckFailed(f"{error}\n{tails}\n(files in {tmp})") from None
    except BaseException:
        suite.down()
        raise
    problems = suite.down()
    if problems:
        fail(f"{ov.name}: shutdown: " + "; ".join(problems) + f" (files in {tmp})")
    log(f"{ov.name}: every process stopped on SIGTERM within its grace period")
    if not keep:
        shutil.rmtree(tmp, ignore_errors=True)


def find_doc(docs, kind, name):
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def container_of(docs, name):
    return pod_spec(find_doc(docs, "Deployment", name))["containers"][0]


def set_env(container, name, value):
    container["env"] = [e for e in container.get("env", []) if e["name"] != name]
    container["env"].append({"name": name, "value": value})


# Manifest mistakes that would leave a suite that cannot work; the local run
# must refuse each of them, with a message naming the problem.
LOCAL_MUTATIONS = [
    ("gateway points at a keyserver port the Service lacks",
     lambda d: set_env(container_of(d, "gateway"), "CMTP_KEYSERVER", "keyserver:7009"),
     "Service keyserver has no port 7009"),
    ("gateway names a Service that does not exist",
     lambda d: set_env(container_of(d, "gateway"), "CMTP_MAILSTORE", "mailstor:7002"),
     "mailstor:7002 names no Service"),
    ("keyserver listens on loopback only",
     lambda d: container_of(d, "keyserver").update(args=["--listen=127.0.0.1:7001"]),
     "only the pod itself could reach it"),
    ("keyserver Service targets a port nothing listens on",
     lambda d: find_doc(d, "Service", "keyserver")["spec"]["ports"][0].update(targetPort=7005),
     "on which nothing listens"),
    ("mailstore sets a variable it does not read",
     lambda d: set_env(container_of(d, "mailstore"), "CMTP_REDIS_ADDR", "redis:6379"),
     "sets CMTP_REDIS_ADDR, which cmtp-mailstore does not read"),
    ("gateway reads the server key from outside the Secret",
     lambda d: set_env(container_of(d, "gateway"), "CMTP_SERVER_KEY_FILE", "/etc/cmtp/server.key"),
     "is on no mounted volume"),
    ("keyserver and gateway serve different domains",
     lambda d: set_env(container_of(d, "keyserver"), "CMTP_DOMAIN", "other.test"),
     "the gateway serves"),
]


def drop_env(container, name):
    container["env"] = [e for e in container.get("env", []) if e["name"] != name]


# Production promises the local run must hold the overlay to.
# (One run for both: each production run starts six Redis processes.)
PRODUCTION_MUTATIONS = [
    ("keyserver accepts clients without a certificate, mailstore answers before "
     "a replica has the mail",
     lambda d: (drop_env(container_of(d, "keyserver"), "CMTP_TLS_CLIENT_CA"),
                drop_env(container_of(d, "mailstore"), "CMTP_WAIT_REPLICAS")),
     "production keyserver: serves gRPC without mutual TLS; production mailstore: "
     "writes do not wait for a replica"),
]


def local_self_test(name, docs, build, entrypoints, mutations=None):
    import copy
    for label, mutate, expected in mutations or LOCAL_MUTATIONS:
        mutated = copy.deepcopy(docs)
        mutate(mutated)
        try:
            run_locally(Overlay(name, mutated), build, entrypoints, keep=False, quiet=True)
        except CheckFailed as error:
            message = str(error)
            if expected not in message:
                fail(f"local self-test '{label}': failed for another reason:\n{message[:2000]}")
            print(f"  local self-test ok   {label}: {message.splitlines()[0]}", flush=True)
            continue
        fail(f"local self-test '{label}': the broken manifest passed")


def main():
    args = sys.argv[1:]
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print(__doc__)
        return 0 if args and args[0] in ("-h", "--help") else 2
    build = os.path.abspath(args[0] if args else os.environ.get("CMTP_BUILD_DIR")
                            or os.path.join(ROOT, "build"))
    keep = os.environ.get("CMTP_K8S_CHECK_KEEP") == "1"
    started = time.monotonic()
    try:
        require_tools()
        ensure_node_modules()
        entrypoints = containerfile_facts()
        log("Containerfile: build packages come from install-deps.sh; runtime targets "
            + ", ".join(f"{t}={e}" for t, e in sorted(entrypoints.items())))
        overlays = sorted(d for d in os.listdir(OVERLAYS)
                          if os.path.isfile(os.path.join(OVERLAYS, d, "kustomization.yaml")))
        if not overlays:
            fail("no overlays in k8s/overlays")
        rendered = {}
        for name in overlays:
            docs = render(name)
            log(f"{name}: rendered {len(docs)} objects")
            rendered[name] = docs
        first = next(iter(rendered.values()))
        validate(first, "self-test", self_test=True)
        for name, docs in rendered.items():
            validate(docs, name)
            ov = Overlay(name, docs)
            check_requirements(ov)
            log(f"{name}: security, resources, probes and availability requirements met")
            if not os.path.isdir(build):
                fail(f"build folder {build} does not exist (make build, or pass the folder)")
            run_locally(ov, build, entrypoints, keep)
            if name == "dev":
                local_self_test(name, docs, build, entrypoints)
            if name == "production":
                local_self_test(name, docs, build, entrypoints, PRODUCTION_MUTATIONS)
            log(f"{name}: PASS")
    except CheckFailed as error:
        print(f"k8s-check: FAIL: {error}", file=sys.stderr, flush=True)
        return 1
    log(f"all overlays pass ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
