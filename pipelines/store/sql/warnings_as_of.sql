-- The warnings open at the end of $as_of (first seen by then, not resolved by then), only $unit's when given,
-- each with the grade it had then (its latest new/escalated/deescalated event by that time) and when that
-- event happened. The text is the warning's current one if it last changed by then, else the event's.
WITH graded AS (
    SELECT warning_id,
           arg_max(grade, happened_at) AS grade,
           arg_max(detail, happened_at) AS event_detail,
           max(happened_at) AS changed_at
    FROM warning_events
    WHERE event IN ('new', 'escalated', 'deescalated')
      AND happened_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
    GROUP BY warning_id
)
SELECT w.id, w.rule, w.subject, w.unit_code, u.name AS unit_name, g.grade, w.since,
       CASE WHEN w.last_seen < CAST($as_of AS DATE) + INTERVAL 1 DAY THEN w.detail ELSE g.event_detail END AS detail,
       g.changed_at
FROM warnings w
JOIN graded g ON g.warning_id = w.id
LEFT JOIN units u ON u.code = w.unit_code
WHERE w.first_seen < CAST($as_of AS DATE) + INTERVAL 1 DAY
  AND (w.resolved_at IS NULL OR w.resolved_at >= CAST($as_of AS DATE) + INTERVAL 1 DAY)
  AND ($unit IS NULL OR w.unit_code = $unit)
ORDER BY w.id
