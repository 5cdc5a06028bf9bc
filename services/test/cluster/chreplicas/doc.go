// Package chreplicas tests econdip's ClickHouse cluster mode on a real
// cluster: ZooKeeper and two ClickHouse replicas of one shard
// (analytics/chcluster), started by the tests on loopback.
//
//   - The dashboards' queries answer the same on the cluster (through the
//     Distributed tables, on either replica) as on a single node holding
//     the same rows.
//   - One replica killed during ingest: the econdip ingest process (the
//     real binary, ECONDIP_CLICKHOUSE_CLUSTER set, both replicas in
//     ECONDIP_CLICKHOUSE_ADDR) keeps inserting through the other; once the
//     replica is back and has caught up, each replica holds exactly the
//     events JetStream acknowledged, once, and the figures agree.
package chreplicas
