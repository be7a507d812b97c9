-- Each unit ($unit alone when given) with the moment its last accepted monthly file (a loaded project
-- submission of that one unit) was received by the end of $as_of; NULL when none had arrived by then.
SELECT u.code, u.name, max(s.received_at) AS last_received_at
FROM units u
LEFT JOIN submissions s
       ON s.unit_code = u.code AND s.kind = 'projects' AND s.status = 'loaded'
      AND s.received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
WHERE $unit IS NULL OR u.code = $unit
GROUP BY u.code, u.name
ORDER BY u.code
