-- The monthly project files of unit $unit received by the end of $as_of, newest first: the files it sent
-- (rejected ones included) and the multi-unit files carrying rows of it. `unit_rows`: how many of the unit's
-- rows the file loaded (a multi-unit file loads other units' rows too); `for_period`: whether the file reports
-- the unit's month $period (rows of that month, or, for a file that loaded none of the unit's rows, the month
-- the file itself names).
WITH unit_rows AS (
    SELECT submission_id, count(*) AS unit_rows, bool_or(period = CAST($period AS DATE)) AS for_period
    FROM received_by($as_of)
    WHERE unit_code = $unit
    GROUP BY submission_id
)
SELECT s.id, s.file_name, s.period, s.received_at, s.submitted_by, s.status, s.rows_loaded, s.rows_rejected,
       s.message,
       coalesce(r.unit_rows, 0) AS unit_rows,
       coalesce(r.for_period, s.period = CAST($period AS DATE), false) AS for_period
FROM submissions s
LEFT JOIN unit_rows r ON r.submission_id = s.id
WHERE s.kind = 'projects'
  AND s.received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
  AND (s.unit_code = $unit OR r.submission_id IS NOT NULL)
ORDER BY s.received_at DESC, s.id DESC
