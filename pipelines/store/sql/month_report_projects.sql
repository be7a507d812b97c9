-- The projects a unit's report for $period lists as known at the end of $as_of: every project with a snapshot
-- for $period from a file of the unit in force then (not superseded by a replacement, DOMAIN §3), with the
-- latest such row's name. A replacement of the month would drop the ones it leaves out.
SELECT s.project_id, p.code, arg_max(s.project_name, s.received_at) AS project_name
FROM received_by($as_of) s
JOIN projects p ON p.id = s.project_id
WHERE s.unit_code = $unit AND s.period = CAST($period AS DATE)
  AND s.submission_id NOT IN (SELECT submission_id FROM superseded_by($as_of))
GROUP BY s.project_id, p.code
ORDER BY p.code
