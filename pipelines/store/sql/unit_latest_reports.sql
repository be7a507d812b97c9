-- The latest report month of each unit as known at the end of $as_of: the latest month for which a file of the
-- unit with an accepted row had arrived (unit_reports, kept by pipelines.store.timeline).
SELECT unit_code, max(period) AS latest_period
FROM unit_reports
WHERE received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
GROUP BY unit_code
