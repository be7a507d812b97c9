-- The report period (issue 15, DOMAIN §3, §4, §6, §7).
--
-- A second file for the same unit and month amends the first by default; a file the uploader sent as a
-- replacement (整表替换) is listed here, and supersedes every earlier file of its unit and month (the macro
-- supersessions). Every file loaded before this migration was a replacement under the rule of the time, so they
-- are listed too: the past reads as it was published.
CREATE TABLE replacements (
    submission_id INTEGER PRIMARY KEY
);
INSERT INTO replacements
SELECT id FROM submissions
WHERE kind = 'projects' AND status = 'loaded' AND unit_code IS NOT NULL AND period IS NOT NULL;

-- The monthly reports of the units (DOMAIN §6): one row per file, unit and report month with at least one
-- accepted row, and when that file was received. A unit's report for P is received with its first such row and
-- on time when that came by P's due day. Kept by pipelines.store.timeline beside the spans (every writer of
-- snapshots calls it), so that reading the reports of a year never scans the snapshots.
CREATE TABLE unit_reports (
    submission_id INTEGER NOT NULL,
    unit_code     VARCHAR NOT NULL,
    period        DATE NOT NULL,
    received_at   TIMESTAMP NOT NULL,
    rows_loaded   INTEGER NOT NULL
);
INSERT INTO unit_reports
SELECT submission_id, unit_code, period, min(received_at), count(*)
FROM snapshots GROUP BY submission_id, unit_code, period;

-- The deduction per overdue update became the deduction per forgotten update (a late report costs its own).
UPDATE settings_overrides SET key = 'deduction_per_forgotten_update'
WHERE section = 'assessment' AND key = 'deduction_per_overdue';
