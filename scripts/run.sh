#!/usr/bin/env bash
# Runs a whole CMTP suite in the foreground (what `make run` calls):
#   redis-server -> cmtp-keyserver -> cmtp-mailstore [-> cmtp-relay] -> cmtp-gateway
# (the relay, which carries mail to other domains, when it is built).
# Ctrl-C or SIGTERM stops the services first (gateway, relay, mailstore,
# keyserver) and Redis last, then exits.
#
# Environment:
#   CMTP_DOMAIN      the domain served            (default: localhost)
#   CMTP_PORT        the CMTP port of the gateway (default: 9001)
#   CMTP_STATE_DIR   state folder                 (default: build/state)
#   CMTP_BUILD_DIR   where the binaries were built (default: build)
#   CMTP_PEERS       (relay) static map domain=host:port,... of other domains,
#                    e.g. another suite started with a different CMTP_PORT
# Two suites with different CMTP_PORT and CMTP_STATE_DIR run side by side:
# Redis and the gRPC services take free ports of their own.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOMAIN="${CMTP_DOMAIN:-localhost}"
PORT="${CMTP_PORT:-9001}"
STATE="${CMTP_STATE_DIR:-$ROOT/build/state}"
BUILD="${CMTP_BUILD_DIR:-$ROOT/build}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"
BUILD="$(cd "$BUILD" 2>/dev/null && pwd)" || {
  echo "run: build folder ${CMTP_BUILD_DIR:-build} is missing; run 'make build' first" >&2
  exit 1
}
LOGS="$STATE/logs"
mkdir -p "$STATE/redis" "$LOGS"

KEYSERVER="$BUILD/services/keyserver/cmtp-keyserver"
MAILSTORE="$BUILD/services/mailstore/cmtp-mailstore"
GATEWAY="$BUILD/services/gateway/cmtp-gateway"
RELAY="$BUILD/services/relay/cmtp-relay"
for bin in "$KEYSERVER" "$MAILSTORE" "$GATEWAY"; do
  if [ ! -x "$bin" ]; then
    echo "run: $bin is missing; run 'make build' first" >&2
    exit 1
  fi
done
for tool in redis-server redis-cli; do
  if ! command -v "$tool" >/dev/null; then
    echo "run: $tool is missing; run 'make deps' first" >&2
    exit 1
  fi
done

# Only one suite per state folder: a second one would share Redis's files.
exec 9>"$STATE/run.lock"
if ! flock -n 9; then
  echo "run: another suite is already running on $STATE" >&2
  exit 1
fi

log() { echo "run: $*" >&2; }

REDIS_PID=""
KEYSERVER_PID=""
MAILSTORE_PID=""
RELAY_PID=""
GATEWAY_PID=""
STOPPING=0

# Sends SIGTERM to a process and waits for it (SIGKILL after 10 s).
stop_process() {
  local name="$1" pid="$2"
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

shutdown() {
  local code="${1:-0}"
  [ "$STOPPING" -eq 0 ] || return 0
  STOPPING=1
  trap '' INT TERM
  log "stopping"
  stop_process cmtp-gateway "$GATEWAY_PID"
  stop_process cmtp-relay "$RELAY_PID"
  stop_process cmtp-mailstore "$MAILSTORE_PID"
  stop_process cmtp-keyserver "$KEYSERVER_PID"
  stop_process redis-server "$REDIS_PID"
  rm -f "$STATE/keyserver.port" "$STATE/mailstore.port" "$STATE/relay.port" \
    "$STATE/gateway.port" "$STATE/redis.port"
  log "stopped"
  exit "$code"
}
trap 'shutdown 0' INT TERM
trap 'shutdown 1' EXIT

# Children run in their own session: a Ctrl-C on the terminal reaches this
# script only, which then stops them in order.
start() {
  local log_file="$1"
  shift
  setsid "$@" >>"$log_file" 2>&1 </dev/null 9>&- &
}

# Waits for a --port-file to hold a port, while the process is alive.
wait_port_file() {
  local name="$1" pid="$2" file="$3"
  for _ in $(seq 1 300); do
    if [ -s "$file" ] && grep -Eq '^[0-9]+$' "$file"; then
      # Read it twice: a port file caught half-written would differ.
      local first
      first="$(cat "$file")"
      sleep 0.05
      if [ "$first" = "$(cat "$file")" ]; then
        echo "$first"
        return 0
      fi
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during start-up; see $LOGS/$name.log"
      tail -n 20 "$LOGS/$name.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  log "$name did not write $file within 30 s; see $LOGS/$name.log"
  return 1
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

rm -f "$STATE/keyserver.port" "$STATE/mailstore.port" "$STATE/relay.port" \
  "$STATE/gateway.port" "$STATE/redis.port"

# Redis: a free port of its own, AOF fsynced on every write. A port taken
# between the check and the bind makes redis-server exit; then try another.
# No LZF compression of the RDB preamble an AOF rewrite writes: the blobs are
# sealed ciphertext, which does not compress, so it would only take CPU from
# the services while the rewrite runs.
REDIS_PORT=""
for _ in $(seq 1 20); do
  candidate=$((20000 + RANDOM % 40000))
  port_in_use "$candidate" && continue
  start "$LOGS/redis.log" redis-server --port "$candidate" --bind 127.0.0.1 \
    --dir "$STATE/redis" --appendonly yes --appendfsync always --save "" --rdbcompression no \
    --daemonize no --protected-mode yes
  REDIS_PID=$!
  for _ in $(seq 1 100); do
    if ! kill -0 "$REDIS_PID" 2>/dev/null; then break; fi
    if [ "$(redis-cli -p "$candidate" PING 2>/dev/null)" = "PONG" ]; then
      REDIS_PORT="$candidate"
      break
    fi
    sleep 0.1
  done
  [ -n "$REDIS_PORT" ] && break
  stop_process redis-server "$REDIS_PID"
  REDIS_PID=""
done
if [ -z "$REDIS_PORT" ]; then
  log "could not start redis-server; see $LOGS/redis.log"
  shutdown 1
fi
echo "$REDIS_PORT" >"$STATE/redis.port"
REDIS="127.0.0.1:$REDIS_PORT"

start "$LOGS/keyserver.log" "$KEYSERVER" --listen 127.0.0.1:0 \
  --port-file "$STATE/keyserver.port" --redis "$REDIS" --domain "$DOMAIN" \
  --server-key-file "$STATE/server.key"
KEYSERVER_PID=$!
KEYSERVER_PORT="$(wait_port_file keyserver "$KEYSERVER_PID" "$STATE/keyserver.port")" ||
  shutdown 1

start "$LOGS/mailstore.log" "$MAILSTORE" --listen 127.0.0.1:0 \
  --port-file "$STATE/mailstore.port" --redis "$REDIS"
MAILSTORE_PID=$!
MAILSTORE_PORT="$(wait_port_file mailstore "$MAILSTORE_PID" "$STATE/mailstore.port")" ||
  shutdown 1

RELAY_FLAGS=()
if [ -x "$RELAY" ]; then
  start "$LOGS/relay.log" "$RELAY" --listen 127.0.0.1:0 --port-file "$STATE/relay.port" \
    --redis "$REDIS" --domain "$DOMAIN" --server-key-file "$STATE/server.key" \
    --keyserver "127.0.0.1:$KEYSERVER_PORT" --mailstore "127.0.0.1:$MAILSTORE_PORT"
  RELAY_PID=$!
  RELAY_PORT="$(wait_port_file relay "$RELAY_PID" "$STATE/relay.port")" || shutdown 1
  RELAY_FLAGS=(--relay "127.0.0.1:$RELAY_PORT")
else
  log "$RELAY is not built: mail to other domains will be refused"
fi

start "$LOGS/gateway.log" "$GATEWAY" --port "$PORT" --port-file "$STATE/gateway.port" \
  --domain "$DOMAIN" --keyserver "127.0.0.1:$KEYSERVER_PORT" \
  --mailstore "127.0.0.1:$MAILSTORE_PORT" --server-key-file "$STATE/server.key" \
  "${RELAY_FLAGS[@]}"
GATEWAY_PID=$!
GATEWAY_PORT="$(wait_port_file gateway "$GATEWAY_PID" "$STATE/gateway.port")" || shutdown 1

CMTP_BIN="$BUILD/tools/cmtp/cmtp"
CMTPCTL_BIN="$BUILD/tools/cmtpctl/cmtpctl"
echo "CMTP ready: domain $DOMAIN at 127.0.0.1:$GATEWAY_PORT (state $STATE, logs $LOGS). Ctrl-C stops."
echo "  try: $CMTP_BIN register --server 127.0.0.1:$GATEWAY_PORT --account alice@$DOMAIN"
echo "       $CMTPCTL_BIN --state-dir $STATE stats"

# Stay in the foreground; if any process dies on its own, stop the rest.
set +e
while true; do
  # shellcheck disable=SC2086 # RELAY_PID may be empty
  wait -n "$REDIS_PID" "$KEYSERVER_PID" "$MAILSTORE_PID" $RELAY_PID "$GATEWAY_PID"
  status=$?
  [ "$STOPPING" -eq 0 ] || break
  for name in redis-server:$REDIS_PID cmtp-keyserver:$KEYSERVER_PID \
              cmtp-mailstore:$MAILSTORE_PID ${RELAY_PID:+cmtp-relay:$RELAY_PID} \
              cmtp-gateway:$GATEWAY_PID; do
    if ! kill -0 "${name#*:}" 2>/dev/null; then
      log "${name%%:*} exited unexpectedly (status $status); see $LOGS/"
      shutdown 1
    fi
  done
done
