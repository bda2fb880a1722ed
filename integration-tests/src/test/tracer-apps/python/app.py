"""The tracer-app workload with ddtrace (PyPI): APP_TRACES traces (default 20), APP_ERRORS of them (default 5, the
first ones) errors. Each is a root "web.request" span (type web, resource "GET /users/{id}", http.status_code 200, or
500 with the error set) with one child "postgres.query" (type sql, service DD_SERVICE-postgres, a SQL resource with
literals for the agent to obfuscate, db.system=postgresql), made through the tracer's own API. ddtrace reads only its
standard environment (DD_TRACE_AGENT_URL, DD_SERVICE, DD_ENV, DD_VERSION, DD_TRACE_STATS_COMPUTATION_ENABLED...).
Flushes the traces and the client stats, prints "sent N traces", exits 0.
"""
import os
import sys
import time

from ddtrace.trace import tracer

SQL = "SELECT * FROM users WHERE id = 42 AND name = 'alice'"


def int_env(name, fallback):
    value = os.environ.get(name, "").strip()
    return int(value) if value else fallback


def request(service, fail):
    with tracer.trace("web.request", resource="GET /users/{id}", span_type="web") as root:
        root.set_tag("span.kind", "server")
        root.set_tag("http.method", "GET")
        root.set_tag("http.route", "/users/{id}")
        root.set_tag("http.url", "http://127.0.0.1/users/42")
        with tracer.trace("postgres.query", service=service + "-postgres", resource=SQL, span_type="sql") as query:
            query.set_tag("span.kind", "client")
            query.set_tag("db.system", "postgresql")
            query.set_tag("db.name", "users")
            time.sleep(0.001)
        root.set_tag("http.status_code", "500" if fail else "200")
        if fail:
            root.error = 1
            root.set_tag("error.message", "HTTP 500: boom")
            root.set_tag("error.type", "InternalServerError")


def main():
    traces = int_env("APP_TRACES", 20)
    errors = min(int_env("APP_ERRORS", 5), traces)
    service = os.environ.get("DD_SERVICE") or "tracer-app-python"
    for i in range(traces):
        request(service, i < errors)
    # flush() sends the pending traces; shutdown() stops the writer and the stats processor, which sends the
    # client stats it holds (DD_TRACE_STATS_COMPUTATION_ENABLED).
    tracer.flush()
    tracer.shutdown()
    sys.stdout.write("sent %d traces\n" % traces)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
