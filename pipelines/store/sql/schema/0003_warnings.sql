-- Warnings (DOMAIN §8): one row per ongoing condition, keyed by (rule, subject); a condition that clears
-- resolves its row, and a later recurrence opens a new one. warning_events is the history of each row.
CREATE SEQUENCE warning_ids START 1;

CREATE TABLE warnings (
    id          INTEGER PRIMARY KEY,
    rule        VARCHAR NOT NULL,
    subject     VARCHAR NOT NULL,          -- project code, or unit code:item for unit rules
    unit_code   VARCHAR,
    grade       VARCHAR NOT NULL,          -- yellow / red (the latest)
    since       DATE,                      -- the day the condition first held at yellow
    detail      VARCHAR,
    first_seen  TIMESTAMP NOT NULL,
    last_seen   TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,                 -- NULL while open
    acknowledged_by VARCHAR,
    acknowledged_at TIMESTAMP,
    ack_note    VARCHAR
);

CREATE TABLE warning_events (
    warning_id INTEGER NOT NULL,
    happened_at TIMESTAMP NOT NULL,
    event      VARCHAR NOT NULL,           -- new / escalated / deescalated / resolved / acknowledged
    grade      VARCHAR,
    detail     VARCHAR
);
