-- alerts.exemptions.active and alerts.evaluate: the (rule, subject) pairs exempt at the end of $as_of — granted by
-- then, `until` not before it, and not revoked by then.
SELECT DISTINCT rule, subject
FROM exemptions
WHERE until >= CAST($as_of AS DATE)
  AND created_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
  AND (revoked_at IS NULL OR revoked_at >= CAST($as_of AS DATE) + INTERVAL 1 DAY)
