// The tracer-app workload with dd-trace-go v2: APP_TRACES traces (default 20), APP_ERRORS of them (default 5, the
// first ones) errors. Each is a root "web.request" span (type web, resource "GET /users/{id}", http.status_code 200,
// or 500 with the error set) with one child "postgres.query" (type sql, service DD_SERVICE-postgres, a SQL resource
// with literals for the agent to obfuscate, db.system=postgresql), made through the tracer's own API. The tracer
// reads only its standard environment (DD_TRACE_AGENT_URL, DD_SERVICE, DD_ENV, DD_VERSION,
// DD_TRACE_STATS_COMPUTATION_ENABLED...). Flushes the traces and the client stats, prints "sent N traces", exits 0.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
)

const sql = "SELECT * FROM users WHERE id = 42 AND name = 'alice'"

func intEnv(name string, fallback int) int {
	value := strings.TrimSpace(os.Getenv(name))
	if value == "" {
		return fallback
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q is not a number\n", name, value)
		os.Exit(2)
	}
	return n
}

func request(service string, fail bool) {
	root := tracer.StartSpan("web.request",
		tracer.SpanType(ext.SpanTypeWeb),
		tracer.ResourceName("GET /users/{id}"),
		tracer.Tag(ext.SpanKind, ext.SpanKindServer),
		tracer.Tag(ext.HTTPMethod, "GET"),
		tracer.Tag(ext.HTTPRoute, "/users/{id}"),
		tracer.Tag(ext.HTTPURL, "http://127.0.0.1/users/42"),
	)
	query := root.StartChild("postgres.query",
		tracer.ServiceName(service+"-postgres"),
		tracer.SpanType(ext.SpanTypeSQL),
		tracer.ResourceName(sql),
		tracer.Tag(ext.SpanKind, ext.SpanKindClient),
		tracer.Tag(ext.DBSystem, ext.DBSystemPostgreSQL),
		tracer.Tag(ext.DBName, "users"),
	)
	time.Sleep(time.Millisecond)
	query.Finish()
	if fail {
		root.SetTag(ext.HTTPCode, "500")
		root.Finish(tracer.WithError(errors.New("HTTP 500: boom")))
		return
	}
	root.SetTag(ext.HTTPCode, "200")
	root.Finish()
}

func main() {
	traces := intEnv("APP_TRACES", 20)
	errs := min(intEnv("APP_ERRORS", 5), traces)
	service := os.Getenv("DD_SERVICE")
	if service == "" {
		service = "tracer-app-go"
	}
	if err := tracer.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "tracer.Start: %v\n", err)
		os.Exit(1)
	}
	for i := 0; i < traces; i++ {
		request(service, i < errs)
	}
	// Flush sends the pending traces and the client stats (DD_TRACE_STATS_COMPUTATION_ENABLED); Stop flushes
	// again and waits for the writer and the stats concentrator to end.
	tracer.Flush()
	tracer.Stop()
	fmt.Printf("sent %d traces\n", traces)
}
