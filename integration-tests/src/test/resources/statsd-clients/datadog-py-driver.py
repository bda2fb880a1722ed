"""Drives the real datadog (PyPI) client's datadog.dogstatsd for the DogStatsD integration tests.

Usage: <venv>/bin/python datadog-py-driver.py <host> <port> <workload> <prefix>
The venv is scripts/ensure-statsd-clients.sh's. Sends the workload over UDP, flushes and closes the client and exits
0; any error goes to stderr with a non-zero exit. What each workload sends is listed in DogStatsdWorkload.java,
which the tests assert.
"""
import sys


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: datadog-py-driver.py <host> <port> <workload> <prefix>\n")
        return 2
    host, port, workload, prefix = argv[1], int(argv[2]), argv[3], argv[4]
    try:
        import datadog.dogstatsd.base as base
        from datadog.dogstatsd import DogStatsd
    except ImportError as e:
        sys.stderr.write("the datadog package is not installed in %s: %s\n" % (sys.prefix, e))
        return 3

    statsd = DogStatsd(
        host=host,
        port=port,
        constant_tags=["client:datadog-py"],
        # Buffered as an application under load would send: many lines per datagram, flushed below.
        disable_buffering=False,
        disable_aggregation=True,
        disable_telemetry=True,
        origin_detection_enabled=False,
    )

    def basic():
        # A sample rate makes the client drop each call when random() > rate and mark the kept ones |@rate. For a
        # count the test can assert exactly, the sampler keeps every call here: the wire format is the client's
        # own, and the agent must scale each line by 1/rate.
        sampler = base.random
        base.random = lambda: 0.0
        try:
            for _ in range(1000):
                statsd.increment(prefix + ".requests", 1, tags=["route:/checkout"], sample_rate=0.5)
        finally:
            base.random = sampler
        for _ in range(4):
            statsd.increment(prefix + ".errors", 3)
        statsd.decrement(prefix + ".errors", 2)
        for depth in (10, 20, 42.5):
            statsd.gauge(prefix + ".queue_depth", depth)
        for user in ("alice", "bob", "alice", "carol", "bob"):
            statsd.set(prefix + ".users", user)
        for v in range(1, 101):
            statsd.histogram(prefix + ".latency", v, tags=["endpoint:search"])
        for v in range(1, 21):
            statsd.timing(prefix + ".db_time", v)
        for v in range(1, 1001):
            statsd.distribution(prefix + ".payload", v)
        statsd.event("deploy " + prefix, "version 42 rolled out\nto every task", alert_type="success",
                     aggregation_key=prefix, tags=["event_source:datadog-py"])
        statsd.service_check(prefix + ".healthy", DogStatsd.WARNING, tags=["check_source:datadog-py"],
                             message="replica lag 3s")

    workloads = {"basic": basic}
    if workload not in workloads:
        sys.stderr.write("unknown workload %r; known: %s\n" % (workload, ", ".join(sorted(workloads))))
        return 2
    workloads[workload]()
    statsd.flush()
    statsd.close_socket()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
