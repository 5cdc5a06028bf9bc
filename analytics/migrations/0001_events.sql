-- Every event of every stream, without personal data: the audit trail in
-- ClickHouse and the input of projections. At-least-once ingest may deliver
-- an event twice; it inserts only the events of a batch this table does not
-- hold yet (analytics.StoredEvents reads that through the sorting key), and
-- the sorting key ends in event_id, so a copy that still gets in collapses
-- and queries read with FINAL.
CREATE TABLE IF NOT EXISTS events (
    event_id    UUID,
    type        String,
    source      String,
    subject     String,
    time        DateTime('UTC'),
    actor       String,
    scope       String,
    stream      String,
    stream_seq  UInt64,
    data        String,
    ingested_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(time)
ORDER BY (type, time, event_id);
