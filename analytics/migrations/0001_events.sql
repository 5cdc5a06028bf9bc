-- Every event of every stream, without personal data: the audit trail in
-- ClickHouse and the input of projections. At-least-once ingest may insert an
-- event twice; the sorting key ends in event_id, so duplicates collapse and
-- queries read with FINAL.
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
