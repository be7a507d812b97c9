-- pipelines.screens.project.snapshot_history: every snapshot of project $project_id received by the end of $as_of, in
-- report order (period, then received, then submission), with the file it came in, who sent it (the account's
-- display name when there is one), its unit's name, and whether a later file of the same unit and month replaced
-- that file by then (the macro superseded_by).
SELECT s.* EXCLUDE (row_id), sub.file_name, sub.submitted_by,
       coalesce(a.display_name, sub.submitted_by) AS submitted_by_name, u.name AS unit_name,
       s.submission_id IN (SELECT submission_id FROM superseded_by($as_of)) AS superseded
FROM received_by($as_of) s
JOIN submissions sub ON sub.id = s.submission_id
LEFT JOIN users a ON a.username = sub.submitted_by
LEFT JOIN units u ON u.code = s.unit_code
WHERE s.project_id = $project_id
ORDER BY s.period, s.received_at, s.submission_id
