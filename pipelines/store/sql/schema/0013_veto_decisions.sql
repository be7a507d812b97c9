-- 一票否优 proposals (issue 16, DOMAIN §10): a unit with an important 督办事项 late is proposed for 一票否优 of the
-- year; an admin confirms the proposal (it becomes the veto_flags row, its reason the tasks) or dismisses it with a
-- reason. Each decision names the tasks it covered: a task that becomes late later makes a new proposal.
CREATE TABLE veto_decisions (
    year        INTEGER NOT NULL,
    unit_code   VARCHAR NOT NULL,
    decision    VARCHAR NOT NULL CHECK (decision IN ('confirmed', 'dismissed')),
    reason      VARCHAR NOT NULL,
    task_codes  VARCHAR[] NOT NULL,
    decided_by  VARCHAR NOT NULL,
    decided_at  TIMESTAMP NOT NULL
);
