-- alerts.exemptions.listing: the exemptions of $scope (a unit code; NULL: every unit) granted by the end of $as_of
-- that are in force then or ended (revoked, or expired after `until`) on or after $ended_from, each with its state
-- as of $as_of (active / expired / revoked), when it ended, its unit's name, the name of the project its subject
-- names (when it is a project code) and the display names of who granted and revoked it. Those in force first (the
-- soonest to expire first), then the latest ended.
WITH stated AS (
    SELECT e.*,
           CASE WHEN e.revoked_at < CAST($as_of AS DATE) + INTERVAL 1 DAY THEN 'revoked'
                WHEN e.until < CAST($as_of AS DATE) THEN 'expired'
                ELSE 'active' END AS state,
           CASE WHEN e.revoked_at < CAST($as_of AS DATE) + INTERVAL 1 DAY THEN e.revoked_at
                ELSE CAST(e.until AS TIMESTAMP) + INTERVAL 1 DAY END AS ended_at
    FROM exemptions e
    WHERE e.created_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
      AND ($scope IS NULL OR e.unit_code = $scope)
)
SELECT e.id, e.rule, e.subject, e.unit_code, u.name AS unit_name, c.project_name, e.until, e.reason,
       e.created_by, coalesce(g.display_name, e.created_by) AS created_by_name, e.created_at,
       e.revoked_by, coalesce(r.display_name, e.revoked_by) AS revoked_by_name, e.revoked_at, e.state, e.ended_at
FROM stated e
LEFT JOIN units u ON u.code = e.unit_code
LEFT JOIN projects p ON p.code = e.subject
LEFT JOIN project_current c ON c.project_id = p.id
LEFT JOIN users g ON g.username = e.created_by
LEFT JOIN users r ON r.username = e.revoked_by
WHERE e.state = 'active' OR e.ended_at >= CAST($ended_from AS DATE)
ORDER BY e.state <> 'active', CASE WHEN e.state = 'active' THEN e.until END, e.ended_at DESC, e.id DESC
