// Drives the real hot-shots client (npm) for the DogStatsD integration tests.
// Usage: node hot-shots-driver.js <host> <port> <workload> <prefix>
// hot-shots is found through NODE_PATH (the tests point it at scripts/ensure-statsd-clients.sh's install).
// Sends the workload over UDP, closes the client (which flushes its buffer) and exits 0; any error goes to stderr
// with a non-zero exit. What each workload sends is listed in DogStatsdWorkload.java, which the tests assert.
'use strict';

const [host, portText, workload, prefix] = process.argv.slice(2);
if (!host || !portText || !workload || !prefix) {
  console.error('usage: node hot-shots-driver.js <host> <port> <workload> <prefix>');
  process.exit(2);
}

let StatsD;
try {
  ({ StatsD } = require('hot-shots'));
} catch (e) {
  console.error(`hot-shots is not installed where NODE_PATH points (${process.env.NODE_PATH}): ${e.message}`);
  process.exit(3);
}

const errors = [];
const client = new StatsD({
  host,
  port: Number(portText),
  protocol: 'udp',
  globalTags: ['client:hot-shots'],
  // Buffered as an application under load would send: many lines per datagram, flushed by close().
  maxBufferSize: 1432,
  bufferFlushInterval: 60000,
  errorHandler: (e) => errors.push(e),
});

function basic() {
  // A sample rate makes hot-shots drop each call with probability 1 - rate (Math.random() < rate keeps it) and
  // mark the kept ones |@rate. For a count the test can assert exactly, the sampler keeps every call here: the
  // wire format is the client's own, and the agent must scale each line by 1/rate.
  const random = Math.random;
  Math.random = () => 0;
  for (let i = 0; i < 1000; i++) {
    client.increment(`${prefix}.requests`, 1, 0.5, ['route:/checkout']);
  }
  Math.random = random;
  for (let i = 0; i < 4; i++) {
    client.increment(`${prefix}.errors`, 3);
  }
  client.decrement(`${prefix}.errors`, 2);
  for (const depth of [10, 20, 42.5]) {
    client.gauge(`${prefix}.queue_depth`, depth);
  }
  for (const user of ['alice', 'bob', 'alice', 'carol', 'bob']) {
    client.set(`${prefix}.users`, user);
  }
  for (let v = 1; v <= 100; v++) {
    client.histogram(`${prefix}.latency`, v, ['endpoint:search']);
  }
  for (let v = 1; v <= 20; v++) {
    client.timing(`${prefix}.db_time`, v);
  }
  for (let v = 1; v <= 1000; v++) {
    client.distribution(`${prefix}.payload`, v);
  }
  client.event(`deploy ${prefix}`, 'version 42 rolled out\nto every task',
    { alert_type: 'success', aggregation_key: prefix }, ['event_source:hot-shots']);
  client.check(`${prefix}.healthy`, client.CHECKS.WARNING, { message: 'replica lag 3s' }, ['check_source:hot-shots']);
}

const workloads = { basic };
if (!workloads[workload]) {
  console.error(`unknown workload "${workload}"; known: ${Object.keys(workloads).join(', ')}`);
  process.exit(2);
}
try {
  workloads[workload]();
} catch (e) {
  console.error(`workload ${workload} failed: ${e.stack || e}`);
  process.exit(1);
}
client.close((e) => {
  if (e) {
    errors.push(e);
  }
  if (errors.length > 0) {
    console.error(`hot-shots reported ${errors.length} error(s): ${errors.map((x) => x.stack || x).join('\n')}`);
    process.exit(1);
  }
  process.exit(0);
});
