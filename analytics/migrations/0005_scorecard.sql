-- The Concept scorecard: targets, daily exchange rates and the stage history
-- of investor leads.
--
-- targets: the Government's implementation-plan targets as administrators
-- load them from their file (see LoadTargets), replaced whole at each load.
-- One row per plan edition, scope (sector or clause), code, metric and year.
CREATE TABLE IF NOT EXISTS targets (
    edition   String,
    scope     String,
    code      String,
    metric    String,
    year      UInt16,
    value     Decimal(38, 4),
    unit      String,
    source    String,
    line      UInt32
) ENGINE = MergeTree
ORDER BY (scope, code, metric, year, edition);

-- fx_daily: for every currency and every day from its first rate to the end
-- of 2031, the rates in force that day (see services/reference/rates.go):
-- units of the currency per USD and KZT per USD, each the rate of that day
-- in the rates file or of the latest earlier day that has one
-- (usd_rate_day, kzt_rate_day say which). Amounts are converted when a
-- figure is read, by joining on (currency, day), so a reloaded rates file
-- changes every figure at once. found = 1 on every row: a join that finds no
-- rate reads 0 there.
CREATE TABLE IF NOT EXISTS fx_daily (
    currency      String,
    day           Date,
    per_usd       Decimal(38, 6),
    kzt_per_usd   Decimal(38, 6),
    usd_rate_day  Date,
    kzt_rate_day  Date,
    found         UInt8
) ENGINE = MergeTree
ORDER BY (currency, day);

-- reference_loads: what each reference table was last loaded from (a
-- digest of the file), so a start with unchanged files skips the load.
CREATE TABLE IF NOT EXISTS reference_loads (
    name       String,
    digest     String,
    rows       UInt64,
    source     String,
    loaded_at  DateTime('UTC')
) ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY name;

-- lead_stage_history: every stage change of every lead, with the day it took
-- effect (Astana); committed and realised investment are dated by it.
CREATE TABLE IF NOT EXISTS lead_stage_history (
    lead_id       UUID,
    version       UInt32,
    from_stage    String,
    to_stage      String,
    effective_on  Date,
    actor         String,
    time          DateTime('UTC'),
    event_id      UUID,
    stream_seq    UInt64
) ENGINE = ReplacingMergeTree(stream_seq)
ORDER BY (lead_id, version);
