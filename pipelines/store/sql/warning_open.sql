-- alerts.centre.open_warnings: the open warnings (not resolved) of $scope (a unit code; NULL: every unit), only
-- those of the given $grades, $rules and $units when each is given (NULL: any), with the unit's name, the days
-- since the condition first held as of $today, and who acknowledged them last (the account's display name when
-- there is one). Red first, then the longest-standing.
SELECT w.id, w.rule, w.subject, w.unit_code, u.name AS unit_name, w.grade, w.since,
       date_diff('day', w.since, CAST($today AS DATE)) AS days_open,
       w.detail, w.first_seen, w.last_seen,
       w.acknowledged_by, coalesce(a.display_name, w.acknowledged_by) AS acknowledged_by_name,
       w.acknowledged_at, w.ack_note
FROM warnings w
LEFT JOIN units u ON u.code = w.unit_code
LEFT JOIN users a ON a.username = w.acknowledged_by
WHERE w.resolved_at IS NULL
  AND ($scope IS NULL OR w.unit_code = $scope)
  AND ($grades IS NULL OR list_contains($grades, w.grade))
  AND ($rules IS NULL OR list_contains($rules, w.rule))
  AND ($units IS NULL OR list_contains($units, w.unit_code))
ORDER BY w.grade = 'red' DESC, w.since, w.id
