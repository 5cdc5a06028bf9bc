-- Current state of every investor lead: the row with the highest version wins
-- (ReplacingMergeTree(version), read with FINAL). Amounts are exact decimals;
-- capex_usd and capex_kzt are converted at the monthly average rate of the
-- month of updated_at (fx_rate_month); fx_missing = 1 marks a lead whose
-- currency has no rate, so a figure can say so instead of dropping it.
-- No contact persons: personal data never reaches ClickHouse.
CREATE TABLE IF NOT EXISTS lead_states (
    lead_id                UUID,
    version                UInt32,
    post                   String,
    attache                String,
    investor_name          String,
    investor_country       String,
    title                  String,
    sector                 String,
    clauses                Array(String),
    target_region          String,
    investment_type        String,
    capex                  Decimal(38, 4),
    currency               String,
    capex_usd              Decimal(38, 2),
    capex_kzt              Decimal(38, 2),
    fx_rate_month          Date,
    fx_missing             UInt8,
    expected_jobs          UInt32,
    tech_transfer          UInt8,
    green                  UInt8,
    expected_decision_date Nullable(Date),
    source                 String,
    stage                  String,
    probability            Decimal(9, 4),
    lost_reason            String,
    competing_country      String,
    created_at             DateTime('UTC'),
    updated_at             DateTime('UTC'),
    stage_changed_at       DateTime('UTC'),
    event_id               UUID,
    stream_seq             UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY lead_id;
