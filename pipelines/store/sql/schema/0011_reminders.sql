-- 催报 (issue 15, DOMAIN §6): every reminder sent to a unit whose monthly report had not arrived, by the scheduler
-- (automatic: at most one per unit, month and day, whatever restarts happen — the job checks this table before
-- sending) or by an admin from 数据填报 (sent_by names the admin). `channels` is how many of the unit's channels
-- it went to (0: the unit has none; the reminder is still recorded, and 数据填报 says so).
CREATE SEQUENCE reminder_ids START 1;
CREATE TABLE reminders (
    id          INTEGER PRIMARY KEY DEFAULT nextval('reminder_ids'),
    unit_code   VARCHAR NOT NULL,
    period      DATE NOT NULL,               -- the report month reminded of (first day)
    day         DATE NOT NULL,               -- the day it was sent
    sent_at     TIMESTAMP NOT NULL,
    automatic   BOOLEAN NOT NULL,
    sent_by     VARCHAR NOT NULL,            -- 'scheduler' or the admin's user name
    channels    INTEGER NOT NULL,
    text        VARCHAR NOT NULL
);
