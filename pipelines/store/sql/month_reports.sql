-- Every registered unit's report for month $period as known at the end of $as_of (DOMAIN §6): the files of the
-- unit with accepted rows for the month (unit_reports) — when the first and the latest arrived, by whom, how many
-- files, rows loaded for the unit and month, and rows the files rejected (a file's count, for the one unit and
-- month it reports) — or NULLs when none has arrived.
WITH arrivals AS (
    SELECT r.unit_code, r.submission_id, r.received_at, r.rows_loaded, s.rows_rejected, s.submitted_by
    FROM unit_reports r
    JOIN submissions s ON s.id = r.submission_id
    WHERE r.period = CAST($period AS DATE) AND r.received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
)
SELECT u.code, u.name, u.assess_group AS "group",
       min(a.received_at) AS first_received, max(a.received_at) AS last_received,
       arg_min(a.submitted_by, a.received_at) AS first_by, arg_max(a.submitted_by, a.received_at) AS last_by,
       count(a.submission_id) AS files, coalesce(sum(a.rows_loaded), 0) AS rows_loaded,
       coalesce(sum(a.rows_rejected), 0) AS rows_rejected
FROM units u
LEFT JOIN arrivals a ON a.unit_code = u.code
GROUP BY u.code, u.name, u.assess_group
ORDER BY u.code
