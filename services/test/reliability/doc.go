// Package reliability holds econdip's fault-injection tests: ingest killed
// with SIGKILL under load, ClickHouse stopped, NATS killed and restarted on
// its file store, poison messages, and a rebuild of ClickHouse from the
// streams. Each test ends with the same check: ClickHouse holds exactly the
// events JetStream acknowledged, each once in every figure.
//
// The tests run the real econdip binary (built once per run) against an
// embedded NATS and the package's private ClickHouse (analytics/chtest), on
// loopback only.
package reliability
