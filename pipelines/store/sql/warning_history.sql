-- alerts.centre.warning_history: the events of warning $warning_id in the order they happened (opened, changes of
-- grade, acknowledgements, resolution), with who acknowledged: the account alerts.centre.acknowledge_as wrote to
-- the audit log right after writing the event (its first entry for the warning at or after the event, within a
-- minute), else, for the warning's latest acknowledgement, the name kept on the warning; with the account's display
-- name when there is one.
WITH acknowledgements AS (
    SELECT logged_at, actor FROM audit_log
    WHERE action = 'warning.acknowledged' AND subject = CAST($warning_id AS VARCHAR)
), events AS (
    SELECT e.rowid AS position, e.happened_at, e.event, e.grade, e.detail,
           CASE WHEN e.event = 'acknowledged'
                THEN coalesce(CASE WHEN k.logged_at < e.happened_at + INTERVAL 1 MINUTE THEN k.actor END,
                              CASE WHEN e.happened_at = w.acknowledged_at THEN w.acknowledged_by END)
           END AS who
    FROM warning_events e
    JOIN warnings w ON w.id = e.warning_id
    ASOF LEFT JOIN acknowledgements k ON k.logged_at >= e.happened_at
    WHERE e.warning_id = $warning_id
)
SELECT e.happened_at, e.event, e.grade, e.detail, e.who, coalesce(a.display_name, e.who) AS who_name
FROM events e
LEFT JOIN users a ON a.username = e.who
ORDER BY e.happened_at, e.position
