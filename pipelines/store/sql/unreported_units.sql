-- The units whose monthly report for $period has not arrived by the end of $as_of: every unit that reported
-- some earlier month (so it has projects to report on) and has no snapshot for $period received by then.
-- Multi-unit files count for each unit they cover, which is why this reads snapshots, not submissions.
SELECT u.code, u.name, max(s.period) AS last_period
FROM units u
JOIN received_by($as_of) s ON s.unit_code = u.code AND s.period < CAST($period AS DATE)
WHERE u.code NOT IN (SELECT unit_code FROM received_by($as_of) WHERE period = CAST($period AS DATE))
GROUP BY u.code, u.name
ORDER BY u.code
