// Validates Kubernetes objects against the Kubernetes API schemas, offline.
//
// The schemas are those of the npm package kubernetes-models (generated from
// the Kubernetes OpenAPI spec, compiled to ajv validators): they catch a
// wrong type, a missing required field and a malformed value (quantities,
// formats). The OpenAPI spec allows unknown fields (the API server drops
// them), so on top of that every object is validated through a Proxy that
// records which fields the schema's validator reads: the validator reads
// every field its schema defines (and every key of a map), so a field that
// was never read is one the schema does not know — kubectl's
// --validate=strict rejects it, and so does this.
//
//   node validate.mjs < objects.json          objects: a JSON array
//   node validate.mjs --self-test < objects.json
//       takes the first Deployment and shows that a wrong type, a missing
//       required field and an unknown field each fail (and the original passes)
//
// Exit status: 0 all valid, 1 an object is invalid (or the self-test failed),
// 2 usage or a kind without a schema.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { runValidateFunc } from "@kubernetes-models/validate";

const here = dirname(fileURLToPath(import.meta.url));
const modelsRoot = join(here, "node_modules", "kubernetes-models");

const validators = new Map();

// The validate function of apiVersion/kind, found through the model module
// (e.g. apps/v1/Deployment.mjs imports ../../_schemas/IoK8sApiAppsV1Deployment.mjs).
async function validatorFor(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (validators.has(key)) return validators.get(key);
  if (typeof apiVersion !== "string" || typeof kind !== "string" ||
      !/^[A-Za-z0-9.\/-]+$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) {
    throw new Error(`no schema: apiVersion ${JSON.stringify(apiVersion)} kind ${JSON.stringify(kind)}`);
  }
  let source;
  const modelFile = join(modelsRoot, apiVersion, `${kind}.mjs`);
  try {
    source = readFileSync(modelFile, "utf8");
  } catch {
    throw new Error(`no schema for ${apiVersion} ${kind} in kubernetes-models`);
  }
  const match = source.match(/_schemas\/([A-Za-z0-9]+)\.mjs/);
  if (!match) throw new Error(`cannot find the schema module of ${modelFile}`);
  const mod = await import(pathToFileURL(join(modelsRoot, "_schemas", `${match[1]}.mjs`)).href);
  validators.set(key, mod.validate);
  return mod.validate;
}

// Wraps `value` so that every own property read is recorded in `seen`.
function tracked(value, path, seen) {
  if (value === null || typeof value !== "object") return value;
  const children = new Map();
  return new Proxy(value, {
    get(target, property, receiver) {
      const result = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || !Object.hasOwn(target, property)) return result;
      const childPath = `${path}/${property}`;
      seen.add(childPath);
      if (result === null || typeof result !== "object") return result;
      if (!children.has(property)) children.set(property, tracked(result, childPath, seen));
      return children.get(property);
    },
    has(target, property) {
      if (typeof property === "string") seen.add(`${path}/${property}`);
      return Reflect.has(target, property);
    },
  });
}

function allPaths(value, path, out) {
  if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      out.push(`${path}/${key}`);
      allPaths(value[key], `${path}/${key}`, out);
    }
  }
  return out;
}

// Returns a list of problems ("<path> <message>"), empty when valid.
export async function problemsOf(object) {
  if (object === null || typeof object !== "object" || Array.isArray(object)) {
    return ["the document is not an object"];
  }
  let validate;
  try {
    validate = await validatorFor(object.apiVersion, object.kind);
  } catch (error) {
    return [error.message];
  }
  const seen = new Set();
  let valid = true;
  try {
    // Runs the validator and words its errors (ajv-i18n, English).
    runValidateFunc(validate, tracked(object, "", seen));
  } catch {
    valid = false;
  }
  const problems = [];
  if (!valid) {
    for (const error of validate.errors ?? []) {
      problems.push(`${error.instancePath || "/"} ${error.message}`);
    }
  }
  // Only meaningful when the validator walked the whole object.
  if (valid) {
    for (const path of allPaths(object, "", [])) {
      const parent = path.slice(0, path.lastIndexOf("/"));
      // Report the outermost unknown field only.
      if (!seen.has(path) && (parent === "" || seen.has(parent))) {
        problems.push(`${path} is not a field of ${object.apiVersion} ${object.kind}`);
      }
    }
  }
  return problems;
}

function nameOf(object) {
  const meta = object?.metadata ?? {};
  return `${object?.kind ?? "?"}/${meta.name ?? "?"}`;
}

async function validateAll(objects) {
  let failures = 0;
  for (const object of objects) {
    const problems = await problemsOf(object);
    if (problems.length > 0) {
      failures++;
      for (const problem of problems) console.error(`INVALID ${nameOf(object)}: ${problem}`);
    }
  }
  console.log(`schema: ${objects.length - failures} of ${objects.length} objects valid`);
  return failures === 0;
}

async function selfTest(objects) {
  const original = objects.find((o) => o?.kind === "Deployment");
  if (!original) {
    console.error("self-test: no Deployment to mutate");
    return false;
  }
  const cases = [
    ["unmodified", () => {}, null],
    ["wrong type (spec.replicas as a string)", (o) => { o.spec.replicas = "two"; }, /replicas must be integer/],
    ["wrong type (containerPort as a string)",
     (o) => { o.spec.template.spec.containers[0].ports = [{ containerPort: "7001" }]; },
     /containerPort must be integer/],
    ["missing required field (container name)",
     (o) => { delete o.spec.template.spec.containers[0].name; },
     /containers\/0 must have required property name/],
    ["missing required field (spec.selector)", (o) => { delete o.spec.selector; },
     /\/spec must have required property selector/],
    ["unknown field (container imagePullPolicyy)",
     (o) => { o.spec.template.spec.containers[0].imagePullPolicyy = "Always"; },
     /containers\/0\/imagePullPolicyy is not a field/],
    ["unknown field (top level)", (o) => { o.specs = {}; }, /\/specs is not a field/],
  ];
  let ok = true;
  for (const [label, mutate, expected] of cases) {
    const copy = structuredClone(original);
    mutate(copy);
    const problems = await problemsOf(copy);
    const text = problems.join("; ");
    const passed = expected === null ? problems.length === 0 : expected.test(text);
    console.log(`self-test ${passed ? "ok  " : "FAIL"} ${label}: ${problems.length === 0 ? "valid" : text}`);
    ok &&= passed;
  }
  return ok;
}

async function main() {
  const args = process.argv.slice(2);
  if (args.some((a) => a !== "--self-test")) {
    console.error("usage: node validate.mjs [--self-test] < objects.json");
    process.exit(2);
  }
  let objects;
  try {
    objects = JSON.parse(readFileSync(0, "utf8"));
  } catch (error) {
    console.error(`validate: stdin is not JSON: ${error.message}`);
    process.exit(2);
  }
  if (!Array.isArray(objects)) {
    console.error("validate: expected a JSON array of objects");
    process.exit(2);
  }
  const ok = args.includes("--self-test") ? await selfTest(objects) : await validateAll(objects);
  process.exit(ok ? 0 : 1);
}

await main();
