// The fluent-app workload with fluent-logger-golang, configured as Docker's fluentd log driver configures it for an
// ECS container whose log driver is awsfirelens (moby daemon/logger/fluentd/fluentd.go; the ECS agent's
// getFirelensLogConfig sets fluentd-async-connect and fluentd-sub-second-precision to true, the tag to
// "<container>-firelens-<task id>" and the address to the task's unix:///.../fluent.sock): asynchronous sends from a
// queue of up to 1,048,576 records (the driver's fluentd-buffer-limit default; in async mode the library counts
// records, not bytes), one Message-mode event per line with an EventTime timestamp, reconnects from one second on
// (RetryWait 1000 ms, MaxRetry MaxInt32), and the chunk/ack option when fluentd-request-ack would be on
// (FLUENT_ACK; FireLens leaves it off). Each record is the driver's map of strings:
// log, source (stdout or stderr), container_id, container_name ("/" + the Docker name); with APP_ECS_FIELDS
// (default true) also ecs_cluster, ecs_task_arn and ecs_task_definition. Docker's driver itself writes only the first
// four: the ecs_* fields are what the Fluent Bit configuration ECS generates for FireLens adds in the router (its
// record_modifier filter), so a router that stands in for Fluent Bit sees them on its output side; APP_ECS_FIELDS=false
// sends the driver's record alone.
//
// Environment: FLUENT_TARGET tcp:<port> (on 127.0.0.1) or unix:<path> (required); FLUENT_ACK true|false (default
// false); APP_LINES (default 100); APP_NAME (default app-go), written in each line: "line <i> of <APP_NAME>", i from
// 1, every 5th line on stderr; APP_CONTAINER_NAME (default app), APP_CONTAINER_ID (default: 64 hex derived from the
// name), ECS_CLUSTER, ECS_TASK_ARN, ECS_TASK_DEFINITION (family:revision); FLUENT_TAG overrides the FireLens tag;
// APP_DEADLINE_SECONDS (default 60); APP_INPUT: a file of what a container wrote, one line each prefixed with its
// stream ("stdout " or "stderr "), sent line by line as the driver sends them instead of the numbered lines; "-" reads
// those lines from standard input as they come, each sent as soon as it is read, until its end (the driver following a
// running container: the task tests pipe a container's output here, and close it when the container has stopped).
// A line longer than 16 KiB goes as the driver sends it: in pieces of 16 KiB, each a record of its own with the
// partial_message, partial_id, partial_ordinal and partial_last fields (Docker's log copier reads 16 KiB at a time and
// marks what it cuts; moby daemon/logger/copier.go).
// Prints "sent N records" and exits 0 once every record was written (with ack: acknowledged); exits 1 otherwise.
package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
)

func env(name, fallback string) string {
	if value := strings.TrimSpace(os.Getenv(name)); value != "" {
		return value
	}
	return fallback
}

func intEnv(name string, fallback int) int {
	value := env(name, strconv.Itoa(fallback))
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		fail(2, "%s=%q is not a non-negative number", name, value)
	}
	return n
}

func boolEnv(name string, fallback bool) bool {
	value := env(name, strconv.FormatBool(fallback))
	b, err := strconv.ParseBool(value)
	if err != nil {
		fail(2, "%s=%q is not true or false", name, value)
	}
	return b
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "app-go: "+format+"\n", args...)
	os.Exit(code)
}

func main() {
	target := env("FLUENT_TARGET", "")
	ack := boolEnv("FLUENT_ACK", false)
	lines := intEnv("APP_LINES", 100)
	name := env("APP_NAME", "app-go")
	deadline := time.Duration(intEnv("APP_DEADLINE_SECONDS", 60)) * time.Second
	containerName := env("APP_CONTAINER_NAME", "app")
	sum := sha256.Sum256([]byte(containerName))
	containerID := env("APP_CONTAINER_ID", hex.EncodeToString(sum[:]))
	cluster := env("ECS_CLUSTER", "pilotfish-it")
	taskArn := env("ECS_TASK_ARN", "arn:aws:ecs:us-east-1:123456789012:task/pilotfish-it/0123456789abcdef0123456789abcdef")
	taskDefinition := env("ECS_TASK_DEFINITION", "shop:7")
	taskID := taskArn[strings.LastIndex(taskArn, "/")+1:]
	tag := env("FLUENT_TAG", containerName+"-firelens-"+taskID)
	ecsFields := boolEnv("APP_ECS_FIELDS", true)

	// The driver's defaults and FireLens's options (see the top of the file).
	config := fluent.Config{
		BufferLimit:        1024 * 1024,
		RetryWait:          1000,
		MaxRetry:           math.MaxInt32,
		Async:              true,
		SubSecondPrecision: true,
		RequestAck:         ack,
	}
	switch {
	case strings.HasPrefix(target, "tcp:"):
		port, err := strconv.Atoi(strings.TrimPrefix(target, "tcp:"))
		if err != nil {
			fail(2, "FLUENT_TARGET=%q: the port is not a number", target)
		}
		config.FluentNetwork, config.FluentHost, config.FluentPort = "tcp", "127.0.0.1", port
	case strings.HasPrefix(target, "unix:"):
		config.FluentNetwork, config.FluentSocketPath = "unix", strings.TrimPrefix(target, "unix:")
	default:
		fail(2, "FLUENT_TARGET=%q: give tcp:<port> or unix:<path>", target)
	}
	// Docker also sets ForceStopAsyncSend with async, so a stopping container never waits on its logs: Close then
	// drops what is still queued. The app must hand everything over, so it leaves it off and counts what the
	// sender reports written (and acknowledged, with the ack option): fluent-logger-golang retries a write or an
	// unacknowledged chunk until it succeeds, so an error is only reported when it gives up.
	var written, failed atomic.Int64
	config.AsyncResultCallback = func(_ []byte, err error) {
		if err != nil {
			failed.Add(1)
			fmt.Fprintf(os.Stderr, "app-go: a record was not sent: %v\n", err)
			return
		}
		written.Add(1)
	}
	logger, err := fluent.New(config)
	if err != nil {
		fail(1, "fluent.New: %v", err)
	}
	type line struct{ source, text string }
	parse := func(l string) line {
		source, text, ok := strings.Cut(l, " ")
		if !ok || (source != "stdout" && source != "stderr") {
			fail(2, "APP_INPUT: a line must start with \"stdout \" or \"stderr \": %q", l)
		}
		return line{source, text}
	}
	// next gives the records in order: the numbered lines, the lines of APP_INPUT's file, or those of standard input
	// as they are written.
	var next func(i int) (line, bool)
	switch path := env("APP_INPUT", ""); path {
	case "":
		numbered := lines
		next = func(i int) (line, bool) {
			source := "stdout"
			if i%5 == 0 {
				source = "stderr"
			}
			return line{source, fmt.Sprintf("line %d of %s", i, name)}, i <= numbered
		}
	case "-":
		in := bufio.NewScanner(os.Stdin)
		// Docker's drivers get a line of up to 16 KiB at a time; room for far more than that.
		in.Buffer(make([]byte, 64*1024), 1024*1024)
		next = func(int) (line, bool) {
			if !in.Scan() {
				if err := in.Err(); err != nil {
					fail(2, "APP_INPUT: standard input: %v", err)
				}
				return line{}, false
			}
			return parse(in.Text()), true
		}
	default:
		data, err := os.ReadFile(path)
		if err != nil {
			fail(2, "APP_INPUT: %v", err)
		}
		var input []line
		for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			input = append(input, parse(l))
		}
		next = func(i int) (line, bool) {
			if i > len(input) {
				return line{}, false
			}
			return input[i-1], true
		}
	}
	// Docker's log copier hands the driver at most 16 KiB of a line at a time (its bufSize).
	const pieceBytes = 16 * 1024
	records := 0
	for i := 1; ; i++ {
		l, ok := next(i)
		if !ok {
			break
		}
		pieces := []string{l.text}
		lineID := ""
		if len(l.text) > pieceBytes {
			pieces = nil
			for rest := l.text; rest != ""; {
				n := min(pieceBytes, len(rest))
				pieces = append(pieces, rest[:n])
				rest = rest[n:]
			}
			id := make([]byte, 32)
			if _, err := rand.Read(id); err != nil {
				fail(1, "a line id: %v", err)
			}
			lineID = hex.EncodeToString(id) // as the copier's random 64-hex id
		}
		for ordinal, piece := range pieces {
			record := map[string]string{
				"log":            piece,
				"source":         l.source,
				"container_id":   containerID,
				"container_name": "/" + containerName,
			}
			if ecsFields {
				record["ecs_cluster"] = cluster
				record["ecs_task_arn"] = taskArn
				record["ecs_task_definition"] = taskDefinition
			}
			if lineID != "" {
				record["partial_message"] = "true"
				record["partial_id"] = lineID
				record["partial_ordinal"] = strconv.Itoa(ordinal + 1)
				record["partial_last"] = strconv.FormatBool(ordinal == len(pieces)-1)
			}
			// The driver stamps each line with the time Docker read it; sub-second precision keeps them apart.
			if err := logger.PostWithTime(tag, time.Now(), record); err != nil {
				fail(1, "line %d: %v", i, err)
			}
			records++
		}
	}
	lines = records
	closed := make(chan error, 1)
	go func() { closed <- logger.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			fail(1, "close: %v", err)
		}
	case <-time.After(deadline):
		fail(1, "after %v only %d of %d records were written%s (%d given up)", deadline, written.Load(), lines,
			map[bool]string{true: " and acknowledged", false: ""}[ack], failed.Load())
	}
	if written.Load() != int64(lines) {
		fail(1, "%d of %d records were written, %d given up", written.Load(), lines, failed.Load())
	}
	fmt.Printf("sent %d records\n", lines)
}
