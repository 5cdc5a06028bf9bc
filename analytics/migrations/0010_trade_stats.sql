-- Realised exports as the Bureau of National Statistics (BNS) publishes
-- them: by month, HS chapter and partner country (partner '' = all
-- partners), in thousand USD. Not a projection of events: administrators
-- import the BNS files (`econdip trade import`, or the administrators' page;
-- analytics/trade.go), and the files are the source a rebuild imports again.
--
-- Re-importing a month replaces it through an explicit table of editions,
-- not through merges or mutations: every import of a month and partner is a
-- new edition (a random edition_id, the file, its SHA-256, who loaded it and
-- when), its rows are inserted into trade_exports first, then its one row
-- into trade_editions, and every figure reads only the rows of the latest
-- edition of each month and partner (argMax over load_seq). So
--   - a month imported twice counts once, at once, on 18.16 and on current
--     servers alike (no FINAL that merges lazily, no asynchronous ALTER
--     DELETE whose progress a reader could see half-done);
--   - an import that dies between the two inserts leaves rows no edition
--     names, which no figure reads;
--   - every earlier edition stays, with its provenance, for the record.

-- One row per chapter line of an imported file.
CREATE TABLE IF NOT EXISTS trade_exports (
    edition_id          String,
    month               Date,
    partner             String,
    chapter             String,
    value_thousand_usd  Decimal(38, 18),
    description         String,
    line                UInt32
) ENGINE = MergeTree
ORDER BY (month, partner, chapter, edition_id);

-- One row per month and partner of every import: the provenance of its
-- rows. The edition of a month and partner with the highest load_seq (the
-- import's time in nanoseconds) is the one figures read.
CREATE TABLE IF NOT EXISTS trade_editions (
    edition_id          String,
    month               Date,
    partner             String,
    file_name           String,
    file_sha256         String,
    label               String,
    loaded_by           String,
    loaded_at           DateTime('UTC'),
    load_seq            UInt64,
    chapters            UInt32,
    sum_thousand_usd    Decimal(38, 18),
    has_total           UInt8,
    total_thousand_usd  Decimal(38, 18)
) ENGINE = MergeTree
ORDER BY (month, partner, load_seq);
