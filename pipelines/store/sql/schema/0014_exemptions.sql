-- Warning exemptions (豁免, DOMAIN §8): an admin exempts one (rule, subject) through the end of `until`, with a
-- reason (a project paused by a court case). While exempt the condition opens no warning and notifies no one
-- (alerts/evaluate.py drops it). Never deleted: revoking sets revoked_by/revoked_at; an exemption past `until`
-- has expired by itself. Written only by alerts/exemptions.py, every grant and revocation audit-logged.
CREATE SEQUENCE exemption_ids START 1;
CREATE TABLE exemptions (
    id          INTEGER PRIMARY KEY DEFAULT nextval('exemption_ids'),
    rule        VARCHAR NOT NULL,            -- an id of alerts.rules.RULES
    subject     VARCHAR NOT NULL,            -- as in warnings.subject: project code, unit code[:item], task code
    unit_code   VARCHAR NOT NULL,            -- the subject's unit when granted (scopes the listing)
    until       DATE NOT NULL,               -- exempt through the end of this day
    reason      VARCHAR NOT NULL,
    created_by  VARCHAR NOT NULL,            -- the admin's user name
    created_at  TIMESTAMP NOT NULL,
    revoked_by  VARCHAR,                     -- NULL while not revoked
    revoked_at  TIMESTAMP
);
