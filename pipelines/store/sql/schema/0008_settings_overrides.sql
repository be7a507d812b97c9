-- Settings changed on the administration screen (issue 6): each row overrides one key of settings.toml (after the
-- ZS_SETTINGS file and ZS_* variables), validated through pipelines.settings.load before it is written. Only rule
-- numbers are stored here (pipelines/overrides.py lists which), never paths or secrets; every change and removal
-- is in audit_log with the value before and after.
CREATE TABLE settings_overrides (
    section    VARCHAR NOT NULL,           -- section of settings.toml, e.g. warnings
    key        VARCHAR NOT NULL,           -- key in that section, e.g. signed_not_commenced_yellow_months
    value      VARCHAR NOT NULL,           -- the value as JSON (a number, true/false or a string)
    changed_by VARCHAR NOT NULL,           -- the admin who set it
    changed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (section, key)
);
