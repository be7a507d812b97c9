-- Each unit ($unit alone when given) with the moment the last report of its projects was received by the end of
-- $as_of: the latest accepted row naming the unit, whether its file held that unit alone or several (an admin's
-- back-fill); NULL when none had arrived by then.
SELECT u.code, u.name, max(s.received_at) AS last_received_at
FROM units u
LEFT JOIN snapshots s
       ON s.unit_code = u.code
      AND s.received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
WHERE $unit IS NULL OR u.code = $unit
GROUP BY u.code, u.name
ORDER BY u.code
