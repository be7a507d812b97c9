-- Notifications (issue 4): where warning changes and the daily digest are sent, and every attempt to send them.
-- Channels are edited by admins; the log is append-only and never holds a warning itself (those are in warnings).
CREATE SEQUENCE notification_channel_ids START 1;
CREATE SEQUENCE notification_log_ids START 1;

CREATE TABLE notification_channels (
    id          INTEGER PRIMARY KEY DEFAULT nextval('notification_channel_ids'),
    name        VARCHAR NOT NULL,          -- what admins call it, e.g. 城东街道招商群
    kind        VARCHAR NOT NULL CHECK (kind IN ('dingtalk', 'wecom', 'webhook', 'email')),
    target      VARCHAR NOT NULL,          -- robot/webhook URL, or e-mail addresses separated by , or ;
    secret      VARCHAR,                   -- DingTalk signing secret (加签); unused by the other kinds
    audience    VARCHAR NOT NULL CHECK (audience IN ('unit', 'leaders', 'all')),
    unit_code   VARCHAR,                   -- the unit whose warnings it receives, for audience 'unit' only
    enabled     BOOLEAN NOT NULL DEFAULT true,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    CHECK ((audience = 'unit') = (unit_code IS NOT NULL))
);

CREATE TABLE notification_log (
    id          INTEGER PRIMARY KEY DEFAULT nextval('notification_log_ids'),
    attempted_at TIMESTAMP NOT NULL,       -- when this attempt was made ("at" is a DuckDB keyword)
    channel_id  INTEGER NOT NULL,
    rule        VARCHAR NOT NULL,          -- event key: rule id ('digest' for the daily digest) ...
    subject     VARCHAR NOT NULL,          -- ... subject (the digest's day) ...
    change      VARCHAR NOT NULL,          -- ... and change: new / escalated / resolved / digest
    attempt     INTEGER NOT NULL,          -- 1 for the first try, then 2, 3 … as retries happen
    outcome     VARCHAR NOT NULL CHECK (outcome IN ('sent', 'failed', 'dry_run')),
    error       VARCHAR,                   -- why the attempt failed
    payload     VARCHAR                    -- what was (or, in dry-run, would have been) sent, as JSON
);
CREATE INDEX notification_log_key ON notification_log (rule, subject, change);
