-- Kazakh exporters, export deals and trade barriers, projected from the
-- EXPORTS stream, and the HS classification they are read with. As for
-- commissions: every projection is a ReplacingMergeTree keyed by what
-- identifies one record, so a redelivered event collapses, and every query
-- reads with FINAL. Days (contract_date, reported_on, ...) are calendar days
-- in Astana time as the events carry them, stored as Date; instants are
-- DateTime('UTC').
--
-- Sector and raw/non-raw are deliberately NOT stored with a deal: queries
-- join deal_states.hs_code with hs_classification, which is replaced from the
-- editable mapping at every start (see analytics/hs.go). Editing the mapping
-- and restarting therefore reclassifies every deal without a replay.

-- Current state of every exporter, keyed by its BIN: the highest version wins.
CREATE TABLE IF NOT EXISTS exporter_states (
    bin           String,
    version       UInt32,
    name          String,
    region        String,
    registered_by String,
    created_at    DateTime('UTC'),
    updated_at    DateTime('UTC'),
    event_id      UUID,
    stream_seq    UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY bin;

-- Current state of every export deal: every deal event carries the full
-- state, the highest version wins. value is the exact amount in its currency;
-- value_usd and value_kzt are converted at the monthly average rate of the
-- month of contract_date when the deal has one, else of the month of
-- updated_at (Astana time) - the month the amount was agreed, or last stated
-- (fx_rate_month: the month whose rates were used). fx_missing = 1 marks a
-- currency with no rate: left out of sums and counted instead.
-- deal_date is the day a deal is dated by in yearly figures: contract_date
-- when set, else the day it was created (created_at in Astana time).
-- hs_chapter and hs_heading are the first 2 and 4 digits of hs_code.
-- quantity is NULL when no quantity was stated.
CREATE TABLE IF NOT EXISTS deal_states (
    deal_id          String,
    version          UInt32,
    post             String,
    attache          String,
    exporter_bin     String,
    exporter_name    String,
    buyer_country    String,
    buyer_name       String,
    hs_code          String,
    hs_chapter       String,
    hs_heading       String,
    product          String,
    value            Decimal(38, 4),
    currency         String,
    value_usd        Decimal(38, 2),
    value_kzt        Decimal(38, 2),
    fx_rate_month    Date,
    fx_missing       UInt8,
    quantity         Nullable(Decimal(38, 4)),
    unit             String,
    stage            String,
    lost_reason      String,
    support          Array(String),
    decision_id      String,
    commission_id    String,
    contract_date    Nullable(Date),
    deal_date        Date,
    clauses          Array(String),
    created_at       DateTime('UTC'),
    updated_at       DateTime('UTC'),
    stage_changed_at DateTime('UTC'),
    event_id         UUID,
    stream_seq       UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY deal_id;

-- Current state of every trade barrier: the highest version wins. hs_codes
-- are HS chapters, headings or subheadings (2, 4 or 6 digits). The optional
-- value at stake (has_value = 0: none stated) is converted at the monthly
-- average rate of the month of reported_on, so it does not drift with later
-- edits; fx_missing = 1 marks a currency with no rate. resolved_on is NULL
-- unless the barrier is resolved. Progress notes are three parallel arrays,
-- one element per note, in the order of the event.
CREATE TABLE IF NOT EXISTS barrier_states (
    barrier_id         String,
    version            UInt32,
    post               String,
    attache            String,
    country            String,
    hs_codes           Array(String),
    type               String,
    title              String,
    description        String,
    has_value          UInt8,
    value_at_stake     Decimal(38, 4),
    currency           String,
    value_at_stake_usd Decimal(38, 2),
    value_at_stake_kzt Decimal(38, 2),
    fx_rate_month      Date,
    fx_missing         UInt8,
    status             String,
    lead_agency        String,
    clauses            Array(String),
    reported_on        Date,
    resolved_on        Nullable(Date),
    progress_on        Array(Date),
    progress_text      Array(String),
    progress_author    Array(String),
    created_at         DateTime('UTC'),
    updated_at         DateTime('UTC'),
    event_id           UUID,
    stream_seq         UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY barrier_id;

-- One row per status change of a barrier. version is the barrier's version
-- after the change, so (barrier_id, version) names one change and a
-- redelivered event collapses onto it.
CREATE TABLE IF NOT EXISTS barrier_status_history (
    barrier_id   String,
    version      UInt32,
    from_status  String,
    to_status    String,
    effective_on Date,
    actor        String,
    comment      String,
    time         DateTime('UTC'),
    event_id     UUID,
    stream_seq   UInt64
) ENGINE = ReplacingMergeTree(stream_seq)
ORDER BY (barrier_id, version);

-- Every 6-digit code of the HS 2022 nomenclature with its chapter, heading,
-- priority sector (empty: none) and raw-commodity flag under the current
-- mapping. Not a projection of events: LoadHSClassification replaces the
-- whole table at every start (a copy is filled under another name and
-- swapped in), so this statement only gives it its structure.
CREATE TABLE IF NOT EXISTS hs_classification (
    hs6         String,
    chapter     String,
    heading     String,
    description String,
    sector      String,
    sector_name String,
    raw         UInt8
) ENGINE = MergeTree
ORDER BY hs6;
