-- Intergovernmental commissions (IGC), their sessions and the decisions of
-- their protocols, projected from the COMMISSIONS stream. Ingest delivers at
-- least once, so every table collapses a redelivered event: each is a
-- ReplacingMergeTree keyed by what identifies one record, and every query
-- reads with FINAL. Days (deadline, done_on, ...) are calendar days in Astana
-- time as the events carry them, stored as Date with no time zone to shift
-- them; instants are DateTime('UTC').

-- Current state of every commission: the highest version wins.
CREATE TABLE IF NOT EXISTS commission_states (
    commission_id      String,
    version            UInt32,
    name               String,
    partner_country    String,
    kazakh_co_chair    String,
    secretariat_agency String,
    partner_co_chair   String,
    created_at         DateTime('UTC'),
    updated_at         DateTime('UTC'),
    event_id           UUID,
    stream_seq         UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY commission_id;

-- One row per session. A session event has no version of its own, so the
-- later event in the stream (stream_seq) wins if a session is ever recorded
-- again; a redelivery has the same stream_seq and simply collapses.
-- decisions is the number of decisions its protocol recorded.
CREATE TABLE IF NOT EXISTS session_states (
    session_id    String,
    commission_id String,
    number        UInt32,
    date          Date,
    place         String,
    protocol_ref  String,
    decision_ids  Array(String),
    decisions     UInt32,
    created_at    DateTime('UTC'),
    event_id      UUID,
    stream_seq    UInt64
) ENGINE = ReplacingMergeTree(stream_seq)
ORDER BY session_id;

-- Current state of every decision: every decision event carries the full
-- state, the highest version wins. Overdue and done-late are not stored: they
-- depend on the day asked about and are computed by the queries from
-- deadline, status and done_on. done_on is NULL unless the decision is done.
-- The optional value is an exact decimal (has_value = 0: none stated);
-- value_usd and value_kzt are converted at the monthly average rate of the
-- month of the session that took the decision (fx_rate_month), so a value
-- does not drift with later edits; fx_missing = 1 marks a currency with no
-- rate, left out of sums and counted instead. lead_ids are canonical UUID
-- text, joined to lead_states.lead_id with toString.
CREATE TABLE IF NOT EXISTS decision_states (
    commission_id   String,
    decision_id     String,
    version         UInt32,
    partner_country String,
    session_id      String,
    session_number  UInt32,
    session_date    Date,
    item            String,
    text            String,
    agencies        Array(String),
    deadline        Date,
    sector          String,
    clauses         Array(String),
    has_value       UInt8,
    value           Decimal(38, 4),
    currency        String,
    value_usd       Decimal(38, 2),
    value_kzt       Decimal(38, 2),
    fx_rate_month   Date,
    fx_missing      UInt8,
    lead_ids        Array(String),
    deal_ids        Array(String),
    status          String,
    status_date     Date,
    done_on         Nullable(Date),
    created_at      DateTime('UTC'),
    updated_at      DateTime('UTC'),
    event_id        UUID,
    stream_seq      UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (commission_id, decision_id);

-- One row per status change of a decision: the audit of who moved it, when it
-- took effect and on what evidence. version is the decision's version after
-- the change, so (decision_id, version) names one change and a redelivered
-- event collapses onto it. from_status and to_status rather than from and to,
-- which are SQL keywords.
CREATE TABLE IF NOT EXISTS decision_status_history (
    commission_id String,
    decision_id   String,
    version       UInt32,
    from_status   String,
    to_status     String,
    effective_on  Date,
    actor         String,
    comment       String,
    evidence_ref  String,
    time          DateTime('UTC'),
    event_id      UUID,
    stream_seq    UInt64
) ENGINE = ReplacingMergeTree(stream_seq)
ORDER BY (decision_id, version);
