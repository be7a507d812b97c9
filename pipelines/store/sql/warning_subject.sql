-- alerts.centre.subject_warnings: every warning, open or resolved, about subject $subject (a project code) in
-- $scope (NULL: every unit), the open ones first (red before yellow), then the latest resolved.
SELECT w.id, w.rule, w.subject, w.unit_code, u.name AS unit_name, w.grade, w.since, w.detail, w.first_seen,
       w.resolved_at, w.acknowledged_by, coalesce(a.display_name, w.acknowledged_by) AS acknowledged_by_name,
       w.acknowledged_at, w.ack_note
FROM warnings w
LEFT JOIN units u ON u.code = w.unit_code
LEFT JOIN users a ON a.username = w.acknowledged_by
WHERE w.subject = $subject
  AND ($scope IS NULL OR w.unit_code = $scope)
ORDER BY w.resolved_at IS NOT NULL, w.grade = 'red' DESC, w.resolved_at DESC, w.since, w.id
