-- alerts.centre.resolved_warnings: the resolved warnings of $scope (NULL: every unit) resolved at or after
-- $resolved_from (NULL: ever), only those of the given $grades (on the worst grade reached), $rules and $units when
-- each is given, each with the worst grade it reached (red if it was ever red), how long it lasted in days (first
-- seen to resolved) and its last acknowledgement; the latest resolved first, at most $limit.
WITH ever_red AS (
    SELECT warning_id, bool_or(grade = 'red') AS was_red
    FROM warning_events
    GROUP BY warning_id
), resolved AS (
    SELECT w.*, CASE WHEN w.grade = 'red' OR r.was_red THEN 'red' ELSE 'yellow' END AS worst_grade
    FROM warnings w
    LEFT JOIN ever_red r ON r.warning_id = w.id
    WHERE w.resolved_at IS NOT NULL
)
SELECT w.id, w.rule, w.subject, w.unit_code, u.name AS unit_name, w.grade, w.worst_grade, w.since, w.detail,
       w.first_seen, w.resolved_at,
       epoch(w.resolved_at - w.first_seen) / 86400 AS duration_days,
       w.acknowledged_by, coalesce(a.display_name, w.acknowledged_by) AS acknowledged_by_name,
       w.acknowledged_at, w.ack_note
FROM resolved w
LEFT JOIN units u ON u.code = w.unit_code
LEFT JOIN users a ON a.username = w.acknowledged_by
WHERE ($scope IS NULL OR w.unit_code = $scope)
  AND ($resolved_from IS NULL OR w.resolved_at >= CAST($resolved_from AS DATE))
  AND ($grades IS NULL OR list_contains($grades, w.worst_grade))
  AND ($rules IS NULL OR list_contains($rules, w.rule))
  AND ($units IS NULL OR list_contains($units, w.unit_code))
ORDER BY w.resolved_at DESC, w.id DESC
LIMIT $limit
