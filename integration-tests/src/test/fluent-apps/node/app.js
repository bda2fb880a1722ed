// The fluent-app workload with @fluent-org/logger: APP_LINES records (default 100) { log: "line <i> of <APP_NAME>",
// source: "stdout" | "stderr" } (every 5th line on stderr) under the tag FLUENT_TAG (default app-node), in the
// client's default PackedForward mode with millisecond EventTime timestamps.
// Environment: FLUENT_TARGET tcp:<port> (on 127.0.0.1) or unix:<path> (the client's socket.path; required);
// FLUENT_ACK true|false (default false: the chunk/ack option, each emit then waiting for the server's ack);
// APP_NAME (default app-node); APP_DEADLINE_SECONDS (default 60).
// Prints "sent N records" and exits 0 once every emit resolved (written, or with ack acknowledged); exits 1
// otherwise.
"use strict";
const { FluentClient } = require("@fluent-org/logger");

function fail(code, message) {
  process.stderr.write("app-node: " + message + "\n");
  process.exit(code);
}

function intEnv(name, fallback) {
  const value = (process.env[name] || "").trim() || String(fallback);
  if (!/^\d+$/.test(value)) fail(2, `${name}=${JSON.stringify(value)} is not a non-negative number`);
  return Number(value);
}

function boolEnv(name, fallback) {
  const value = ((process.env[name] || "").trim() || String(fallback)).toLowerCase();
  if (value !== "true" && value !== "false") fail(2, `${name}=${JSON.stringify(value)} is not true or false`);
  return value === "true";
}

const target = (process.env.FLUENT_TARGET || "").trim();
const ack = boolEnv("FLUENT_ACK", false);
const lines = intEnv("APP_LINES", 100);
const name = (process.env.APP_NAME || "").trim() || "app-node";
const tag = (process.env.FLUENT_TAG || "").trim() || "app-node";
const deadline = intEnv("APP_DEADLINE_SECONDS", 60) * 1000;

let socket;
if (/^tcp:\d+$/.test(target)) {
  socket = { host: "127.0.0.1", port: Number(target.slice(4)) };
} else if (target.startsWith("unix:") && target.length > 5) {
  socket = { path: target.slice(5) };
} else {
  fail(2, `FLUENT_TARGET=${JSON.stringify(target)}: give tcp:<port> or unix:<path>`);
}

const client = new FluentClient(null, {
  socket,
  milliseconds: true,
  // The client's default ack timeout is 500 ms; an agent acks once the records are queued, which a loaded CI
  // machine may take longer for. A late ack is still a failure here, only a later one.
  ack: ack ? { ackTimeout: 30000 } : undefined,
  // On disconnect, send what is still queued first.
  disconnect: { waitForPending: true },
});
let lastError = null;
client.socketOn("error", (error) => { lastError = error; });

const timer = setTimeout(() => {
  fail(1, `after ${deadline / 1000} s only ${settled} of ${lines} records were ${ack ? "acknowledged" : "written"}`
    + (lastError ? ` (last socket error: ${lastError.message})` : ""));
}, deadline);

let settled = 0;
async function main() {
  const emits = [];
  for (let i = 1; i <= lines; i++) {
    const record = { log: `line ${i} of ${name}`, source: i % 5 === 0 ? "stderr" : "stdout" };
    emits.push(client.emit(tag, record).then(() => { settled++; }));
  }
  const results = await Promise.allSettled(emits);
  const failed = results.filter((r) => r.status === "rejected");
  await client.disconnect();
  clearTimeout(timer);
  if (failed.length > 0) {
    fail(1, `${failed.length} of ${lines} records were not ${ack ? "acknowledged" : "written"}: ${failed[0].reason}`);
  }
  process.stdout.write(`sent ${lines} records\n`);
}

main().catch((error) => fail(1, String(error && error.stack || error)));
