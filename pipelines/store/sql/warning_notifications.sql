-- alerts.centre.notification_log: the latest $limit attempts to send a notification, to the channels of $scope (a
-- unit user hears only through its own unit's channels; NULL: every channel), only those with one of $outcomes
-- when given; failures first when $failed_first, then newest first. Each with its channel's name, kind and
-- audience (never its address or secret) and the payload as logged.
SELECT l.id, l.attempted_at, l.channel_id, c.name AS channel_name, c.kind AS channel_kind, c.audience,
       c.unit_code AS channel_unit, l.rule, l.subject, l.change, l.attempt, l.outcome, l.error, l.payload
FROM notification_log l
LEFT JOIN notification_channels c ON c.id = l.channel_id
WHERE ($scope IS NULL OR (c.audience = 'unit' AND c.unit_code = $scope))
  AND ($outcomes IS NULL OR list_contains($outcomes, l.outcome))
ORDER BY CASE WHEN $failed_first THEN l.outcome <> 'failed' ELSE false END, l.attempted_at DESC, l.id DESC
LIMIT $limit
