-- The submissions the 数据填报 desk lists, the latest sent first (at most $limit): every file when $unit is NULL,
-- else the files reporting unit $unit alone and the files its own users sent that were refused whole (such a
-- file names no unit). $id (or NULL) picks one submission, within the same scope. `submitter`: the sender's
-- display name; `rows_warned`: loaded rows with a warning; `replaced`: a later file for the same unit and report
-- month is in force instead as of $as_of (the macro superseded_by).
WITH warned AS (
    SELECT submission_id, count(DISTINCT (sheet, row_number)) AS rows_warned
    FROM row_problems
    WHERE severity = 'warning'
    GROUP BY submission_id
)
SELECT s.id, s.kind, s.file_name, s.unit_code, u.name AS unit_name, s.period, s.received_at, s.submitted_by,
       coalesce(a.display_name, s.submitted_by) AS submitter,
       s.rows_loaded, s.rows_rejected, coalesce(w.rows_warned, 0) AS rows_warned, s.status,
       s.id IN (SELECT submission_id FROM superseded_by($as_of)) AS replaced,
       s.message
FROM submissions s
LEFT JOIN units u ON u.code = s.unit_code
LEFT JOIN users a ON a.username = s.submitted_by
LEFT JOIN warned w ON w.submission_id = s.id
WHERE ($unit IS NULL OR s.unit_code = $unit OR (s.unit_code IS NULL AND a.unit_code = $unit))
  AND ($id IS NULL OR s.id = $id)
ORDER BY s.id DESC
LIMIT $limit
