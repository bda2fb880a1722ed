"""The fluent-app workload with fluent-logger (fluent.sender.FluentSender): APP_LINES records (default 100)
{"log": "line <i> of <APP_NAME>", "source": "stdout" | "stderr"} (every 5th line on stderr) under the tag FLUENT_TAG
(default app-python), one Message-mode event per record ([tag, time, record]) with nanosecond EventTime timestamps.

Environment: FLUENT_TARGET tcp:<port> (on 127.0.0.1) or unix:<path> (FluentSender(host="unix://<path>"); required);
FLUENT_ACK must be false or unset: fluent-logger has no chunk/ack option, so asking for it exits 2 rather than
pretending; APP_NAME (default app-python); APP_DEADLINE_SECONDS (default 60, also each socket operation's timeout).
Prints "sent N records" and exits 0 once every record was written to the socket (the sender buffers what it could
not write and writes it before the next record or on close; what it still cannot write then goes to the overflow
handler, which this app counts as lost); exits 1 otherwise."""
import os
import re
import sys

from fluent import sender


def fail(code, message):
    sys.stderr.write("app-python: %s\n" % message)
    sys.exit(code)


def int_env(name, fallback):
    value = os.environ.get(name, "").strip() or str(fallback)
    if not value.isdigit():
        fail(2, "%s=%r is not a non-negative number" % (name, value))
    return int(value)


def main():
    target = os.environ.get("FLUENT_TARGET", "").strip()
    ack = (os.environ.get("FLUENT_ACK", "").strip() or "false").lower()
    lines = int_env("APP_LINES", 100)
    name = os.environ.get("APP_NAME", "").strip() or "app-python"
    tag = os.environ.get("FLUENT_TAG", "").strip() or "app-python"
    deadline = int_env("APP_DEADLINE_SECONDS", 60)
    if ack not in ("true", "false"):
        fail(2, "FLUENT_ACK=%r is not true or false" % ack)
    if ack == "true":
        fail(2, "fluent-logger %s does not implement the forward protocol's chunk/ack option"
             % sender_version())
    tcp = re.fullmatch(r"tcp:(\d+)", target)
    if tcp:
        host, port = "127.0.0.1", int(tcp.group(1))
    elif target.startswith("unix:") and len(target) > 5:
        host, port = "unix://" + target[5:], 0
    else:
        fail(2, "FLUENT_TARGET=%r: give tcp:<port> or unix:<path>" % target)

    lost = []
    fluent = sender.FluentSender(tag, host=host, port=port, timeout=float(deadline), nanosecond_precision=True,
                                 buffer_overflow_handler=lost.append)
    unsent = 0
    for i in range(1, lines + 1):
        record = {"log": "line %d of %s" % (i, name), "source": "stderr" if i % 5 == 0 else "stdout"}
        # emit() returns False when the write failed; the record then waits in the sender's buffer, in order,
        # for the next write (a new connection) or close().
        if not fluent.emit(None, record):
            unsent += 1
            sys.stderr.write("app-python: line %d not written yet: %s\n" % (i, fluent.last_error))
    fluent.close()
    if lost:
        fail(1, "%d bytes of records could not be written (%d writes had failed): %s"
             % (sum(len(b) for b in lost), unsent, fluent.last_error))
    print("sent %d records" % lines, flush=True)


def sender_version():
    from importlib.metadata import version
    return version("fluent-logger")


if __name__ == "__main__":
    main()
