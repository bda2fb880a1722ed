'use strict'
// The tracer-app workload with dd-trace (npm): APP_TRACES traces (default 20), APP_ERRORS of them (default 5, the
// first ones) errors. Each is a root "web.request" span (type web, resource "GET /users/{id}", http.status_code 200,
// or 500 with the error set) with one child "postgres.query" (type sql, service DD_SERVICE-postgres, a SQL resource
// with literals for the agent to obfuscate, db.system=postgresql), made through the tracer's own API. dd-trace reads
// only its standard environment (DD_TRACE_AGENT_URL, DD_SERVICE, DD_ENV, DD_VERSION,
// DD_TRACE_STATS_COMPUTATION_ENABLED...). Flushes the traces and the client stats, prints "sent N traces", exits 0.
// Run with NODE_PATH=<dir>/node/node_modules.
const tracer = require('dd-trace').init()

const SQL = "SELECT * FROM users WHERE id = 42 AND name = 'alice'"

function intEnv (name, fallback) {
  const value = process.env[name]
  return value === undefined || value.trim() === '' ? fallback : parseInt(value.trim(), 10)
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function request (fail) {
  const service = tracer._tracer._service || process.env.DD_SERVICE || 'tracer-app-node'
  const root = tracer.startSpan('web.request', {
    tags: {
      'span.type': 'web',
      'resource.name': 'GET /users/{id}',
      'span.kind': 'server',
      'http.method': 'GET',
      'http.route': '/users/{id}',
      'http.url': 'http://127.0.0.1/users/42'
    }
  })
  await tracer.scope().activate(root, async () => {
    const query = tracer.startSpan('postgres.query', {
      childOf: root,
      tags: {
        'service.name': service + '-postgres',
        'span.type': 'sql',
        'resource.name': SQL,
        'span.kind': 'client',
        'db.system': 'postgresql',
        'db.name': 'users'
      }
    })
    await sleep(1)
    query.finish()
  })
  root.setTag('http.status_code', fail ? '500' : '200')
  if (fail) {
    const error = new Error('HTTP 500: boom')
    error.name = 'InternalServerError'
    root.setTag('error', error)
  }
  root.finish()
}

function flush () {
  const internal = tracer._tracer
  return new Promise((resolve, reject) => {
    // flushAll sends the pending traces and (with DD_TRACE_STATS_COMPUTATION_ENABLED) the client stats, whose
    // timer is unref'd and would otherwise be lost at exit.
    if (internal && typeof internal.flushAll === 'function') {
      internal.flushAll(resolve, { timeout: 10000 })
    } else if (internal && internal._exporter && typeof internal._exporter.flush === 'function') {
      internal._exporter.flush(resolve)
    } else {
      reject(new Error('dd-trace ' + require('dd-trace/package.json').version +
        ' has no flushAll or exporter flush: the tracer app needs updating'))
    }
  })
}

async function main () {
  const traces = intEnv('APP_TRACES', 20)
  const errors = Math.min(intEnv('APP_ERRORS', 5), traces)
  if (!tracer._tracer || tracer._tracer.constructor.name === 'NoopTracer') {
    throw new Error('dd-trace did not start (a no-op tracer): check the Node.js version it supports')
  }
  for (let i = 0; i < traces; i++) {
    await request(i < errors)
  }
  await flush()
  process.stdout.write('sent ' + traces + ' traces\n')
}

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(String(error && error.stack ? error.stack : error) + '\n')
    process.exit(1)
  }
)
