-- 督办 (issue 16, DOMAIN §10): every 督办事项 as an append-only list of dated actions; a task's state as of a day is
-- what its actions dated up to the end of that day make it (pipelines/admin/tasks.py replays them). `acted_at` is
-- when the action counts (an admin back-filling the paper record dates it in the past); `recorded_at` is when it
-- was written. The issue action carries the task's fields; later actions carry their text (办理情况, reason or
-- note) and, for an extension, the new deadline.
CREATE SEQUENCE task_action_ids START 1;
CREATE TABLE task_actions (
    id              INTEGER PRIMARY KEY DEFAULT nextval('task_action_ids'),
    task_code       VARCHAR NOT NULL,
    action          VARCHAR NOT NULL CHECK (action IN ('issue', 'respond', 'return', 'close', 'cancel', 'extend')),
    acted_at        TIMESTAMP NOT NULL,
    recorded_at     TIMESTAMP NOT NULL,
    actor           VARCHAR NOT NULL,
    actor_role      VARCHAR NOT NULL,
    title           VARCHAR,
    requirement     VARCHAR,
    unit_code       VARCHAR,
    project_code    VARCHAR,
    source          VARCHAR CHECK (source IN ('warning', 'issue', 'manual')),
    source_rule     VARCHAR,
    source_subject  VARCHAR,
    source_period   DATE,
    important       BOOLEAN,
    deadline        DATE,
    text            VARCHAR
);
