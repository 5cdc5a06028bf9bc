// Package natscluster tests econdip on a NATS cluster, switched on by
// configuration alone (ECONDIP_NATS_URL naming several servers,
// ECONDIP_NATS_REPLICAS=3): a 3-node cluster of embedded servers loses the
// leader of the LEADS stream during a load, and two `econdip ingest`
// processes share the durable consumer while one of them is killed. Each
// test ends with the same check: ClickHouse holds every event JetStream
// acknowledged, exactly once in every figure.
//
// The tests run the real econdip binary (built once per run) against
// servers in the test process and the package's private ClickHouse
// (analytics/chtest), on loopback only.
//
// ECONDIP_NATSCLUSTER_REPLICAS=1 runs the leader test without replication,
// by hand: it must then fail (acknowledged events lost with their node, the
// streams offline). ECONDIP_NATSCLUSTER_EVENTS changes the load (40 000).
package natscluster
