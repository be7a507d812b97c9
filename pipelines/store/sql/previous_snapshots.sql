-- For each row of an incoming project file (the registered table incoming_rows: row_index, project_id, period),
-- the project's latest snapshot of an earlier report period, every column, for the month-to-month checks of
-- DOMAIN §6 (pipelines/ingest/compare.py). The latest is the one of highest `precedence` (DOMAIN §4: the latest
-- period, among equals the latest received, then the later submission); snapshots of a file superseded by a
-- later file of the same unit and month are left out, as the as-of state leaves them out. Rows of a project with
-- no earlier snapshot give nothing.
WITH earlier AS (
    SELECT i.row_index, arg_max(s.rowid, precedence(s.period, s.received_at, s.submission_id)) AS row_id
    FROM incoming_rows i
    JOIN snapshots s ON s.project_id = i.project_id AND s.period < i.period
    WHERE s.submission_id NOT IN (SELECT submission_id FROM supersessions() WHERE superseded_at IS NOT NULL)
    GROUP BY i.row_index
)
SELECT e.row_index, s.*
FROM earlier e
JOIN snapshots s ON s.rowid = e.row_id
