-- The company register (issue 18): the current state of every company,
-- projected from the COMPANIES stream. Every company event carries the full
-- company, so the highest version wins (ReplacingMergeTree(version), read
-- with FINAL). Contact persons are personal data and never reach
-- ClickHouse: no column holds them, and the events table keeps company
-- events without them. merged_into is the survivor's id on a company
-- absorbed by a merge, '' otherwise; aliases hold every other spelling,
-- the absorbed companies' names among them.
CREATE TABLE IF NOT EXISTS company_states (
    company_id  String,
    version     UInt32,
    name        String,
    name_latin  String,
    country     String,
    reg_number  String,
    website     String,
    aliases     Array(String),
    merged_into String,
    created_by  String,
    created_at  DateTime('UTC'),
    updated_at  DateTime('UTC'),
    event_id    UUID,
    stream_seq  UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY company_id;
