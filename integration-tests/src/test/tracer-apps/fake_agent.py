#!/usr/bin/env python3
"""A stand-in for the Datadog trace-agent's HTTP API, to check the tracer apps by hand (python3 stdlib only).

Usage: fake_agent.py (--port PORT [--host HOST] | --unix PATH) [--dump DIR]

Answers GET /info as a 7.60 agent with the stats endpoint and client_drop_p0s (so the tracers may compute stats),
the trace endpoints (/v0.3|4|5|7/traces) with {"rate_by_service":{"service:,env:":1}}, and anything else with
200 "OK". Logs one JSON line per request to stdout: method, path, content-type, the Datadog-*, X-Datadog-* and
DD-* headers, the body length and t, the seconds since it started. With --dump, also writes each body to
DIR/<seq>-<path with / as _>.bin.
"""
import argparse
import json
import os
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INFO = {
    "version": "7.60.0",
    "endpoints": ["/v0.3/traces", "/v0.4/traces", "/v0.5/traces", "/v0.7/traces", "/v0.6/stats",
                  "/telemetry/proxy/", "/evp_proxy/v2/", "/debugger/v1/input"],
    "client_drop_p0s": True,
    "span_events": True,
    "config": {"statsd_port": 8125},
}
TRACE_PATHS = {"/v0.3/traces", "/v0.4/traces", "/v0.5/traces", "/v0.7/traces"}
RATES = {"rate_by_service": {"service:,env:": 1}}

_lock = threading.Lock()
_seq = [0]
_started = time.monotonic()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    dump_dir = None

    def log_message(self, fmt, *args):  # the JSON lines are the log; over a Unix socket client_address is ''
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self):
        body = self._body()
        path = self.path.split("?", 1)[0]
        with _lock:
            _seq[0] += 1
            seq = _seq[0]
            record = {
                "seq": seq,
                "t": round(time.monotonic() - _started, 3),
                "method": self.command,
                "path": self.path,
                "content_type": self.headers.get("Content-Type"),
                "headers": {k: v for k, v in self.headers.items()
                            if k.lower().startswith(("datadog-", "x-datadog-", "dd-"))},
                "body_length": len(body),
            }
            if self.dump_dir and body:
                name = "%04d-%s.bin" % (seq, path.strip("/").replace("/", "_") or "root")
                with open(os.path.join(self.dump_dir, name), "wb") as f:
                    f.write(body)
                record["dump"] = name
            sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()
        if path == "/info":
            self._reply(200, "application/json", json.dumps(INFO).encode())
        elif path in TRACE_PATHS:
            self._reply(200, "application/json", json.dumps(RATES).encode())
        else:
            self._reply(200, "text/plain", b"OK")

    def _reply(self, status, content_type, payload):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = _handle


def _quiet_disconnects(server_class):
    """A tracer that closes its connection (at exit) is no error worth a stack trace on stderr."""
    default = server_class.handle_error

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            default(self, request, client_address)

    server_class.handle_error = handle_error
    return server_class


@_quiet_disconnects
class TcpHTTPServer(ThreadingHTTPServer):
    daemon_threads = True


@_quiet_disconnects
class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("unix", 0)  # BaseHTTPRequestHandler expects a (host, port) client address


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int)
    where.add_argument("--unix")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dump")
    args = parser.parse_args()
    if args.dump:
        os.makedirs(args.dump, exist_ok=True)
        Handler.dump_dir = args.dump
    if args.unix:
        if os.path.exists(args.unix):
            os.unlink(args.unix)
        server = UnixHTTPServer(args.unix, Handler)
        where = "unix://" + args.unix
    else:
        server = TcpHTTPServer((args.host, args.port), Handler)
        where = "http://%s:%d" % (args.host, server.server_address[1])
    sys.stdout.write(json.dumps({"listening": where}) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if args.unix and os.path.exists(args.unix):
            os.unlink(args.unix)


if __name__ == "__main__":
    main()
