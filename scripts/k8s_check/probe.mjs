// What the kubelet's native gRPC probe does: grpc.health.v1.Health/Check on
// HOST:PORT with the probe's service name; success only on SERVING.
//
//   node probe.mjs HOST:PORT [SERVICE] [TIMEOUT_SECONDS]
//
// Prints the status; exit 0 on SERVING, 1 otherwise (or on an RPC error).
import * as grpc from "@grpc/grpc-js";

const [target, service = "", timeoutArg = "2"] = process.argv.slice(2);
if (!target) {
  console.error("usage: node probe.mjs HOST:PORT [SERVICE] [TIMEOUT_SECONDS]");
  process.exit(2);
}

// HealthCheckRequest { string service = 1; }
function encodeRequest(name) {
  const bytes = Buffer.from(name, "utf8");
  if (bytes.length === 0) return Buffer.alloc(0);
  if (bytes.length > 127) throw new Error("service name too long for this probe");
  return Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
}

// HealthCheckResponse { ServingStatus status = 1; } (absent field: UNKNOWN)
const STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];
function decodeStatus(buffer) {
  let status = 0;
  for (let i = 0; i + 1 < buffer.length; i += 2) {
    if (buffer[i] === 0x08) status = buffer[i + 1];
  }
  return STATUS[status] ?? `status ${status}`;
}

const client = new grpc.Client(target, grpc.credentials.createInsecure());
const deadline = new Date(Date.now() + Number(timeoutArg) * 1000);
client.makeUnaryRequest(
  "/grpc.health.v1.Health/Check",
  (request) => request,
  (response) => response,
  encodeRequest(service),
  new grpc.Metadata(),
  { deadline },
  (error, response) => {
    client.close();
    if (error) {
      console.log(`rpc error: ${error.code} ${error.details}`);
      process.exit(1);
    }
    const status = decodeStatus(response);
    console.log(status);
    process.exit(status === "SERVING" ? 0 : 1);
  },
);
