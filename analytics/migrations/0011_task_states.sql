-- Tasks on records (issue 17): the current state of every task, projected
-- from the task events of the LEADS, EXPORTS and COMMISSIONS streams. Every
-- task event carries the full task, so the highest version wins
-- (ReplacingMergeTree(version), read with FINAL). The title is operational
-- text and never reaches ClickHouse: figures count tasks, their due days,
-- assignees and whether they are done. record_kind is lead, deal, barrier or
-- decision, record_id the record's id (commission_id is set for a
-- decision); scope is the record's (post:<post> or commission:<id>). due is
-- a calendar day in Astana time; done_at is NULL unless the task is done.
CREATE TABLE IF NOT EXISTS task_states (
    task_id       String,
    version       UInt32,
    record_kind   String,
    record_id     String,
    commission_id String,
    scope         String,
    assignee      String,
    due           Date,
    done          UInt8,
    done_at       Nullable(DateTime('UTC')),
    created_by    String,
    created_at    DateTime('UTC'),
    updated_at    DateTime('UTC'),
    event_id      UUID,
    stream_seq    UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY task_id;
