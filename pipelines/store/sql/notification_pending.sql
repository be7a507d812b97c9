-- alerts.notify.redeliver_failed: the messages no try has delivered — per channel and payload (one message: its
-- log rows share the payload), those with a failed try and none sent, first tried at or after $since — with the
-- tries so far and the (rule, subject, change) keys they carry. Test messages are not sent again.
SELECT channel_id, payload, max(attempt) AS attempts, min(attempted_at) AS first_tried,
       list(DISTINCT {'rule': rule, 'subject': subject, 'change': change}) AS keys
FROM notification_log
WHERE payload IS NOT NULL AND outcome IN ('sent', 'failed') AND rule <> 'test'
GROUP BY channel_id, payload
HAVING bool_and(outcome = 'failed') AND min(attempted_at) >= $since
ORDER BY min(attempted_at), channel_id
