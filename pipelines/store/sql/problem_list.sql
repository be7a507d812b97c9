-- 问题清单 (DOMAIN §10): as of the end of $as_of, every project's latest non-empty 存在问题 — the report month it
-- was written for, its unit and words — with the project's latest report month (so a reader sees whether the
-- problem is still reported), the admin's 已知悉 mark for that month, and the tasks that cover it (one issued from
-- it, or any task on the project issued after it arrived). Which snapshot counts for a month is DOMAIN §4's rule:
-- files received by the day, not superseded by a replacement, the latest received among them. $scope: one unit
-- (a unit user's) or NULL.
WITH known AS (
    SELECT r.project_id, r.period, r.unit_code, r.project_name, r.issues, r.received_at,
           row_number() OVER (PARTITION BY r.project_id, r.period
                              ORDER BY r.received_at DESC, r.submission_id DESC) AS n
    FROM received_by($as_of) r
    WHERE r.submission_id NOT IN (SELECT submission_id FROM superseded_by($as_of))
      AND ($scope IS NULL OR r.unit_code = $scope)
),
in_force AS (SELECT * FROM known WHERE n = 1),
latest AS (SELECT project_id, max(period) AS latest_period FROM in_force GROUP BY project_id),
problems AS (
    SELECT *, row_number() OVER (PARTITION BY project_id ORDER BY period DESC) AS m
    FROM in_force WHERE trim(coalesce(issues, '')) <> ''
),
issued AS (
    SELECT task_code, project_code, source, source_period, acted_at FROM task_actions
    WHERE action = 'issue' AND acted_at < CAST($as_of AS DATE) + INTERVAL 1 DAY AND project_code IS NOT NULL
)
SELECT p.code AS project_code, q.project_name, q.unit_code, u.name AS unit_name, q.period, q.issues,
       q.received_at, l.latest_period, q.period = l.latest_period AS current,
       a.acknowledged_by, a.acknowledged_at, a.note AS acknowledged_note,
       coalesce((SELECT list(i.task_code ORDER BY i.task_code) FROM issued i
                 WHERE i.project_code = p.code
                   AND ((i.source = 'issue' AND i.source_period = q.period) OR i.acted_at >= q.received_at)),
                [])::VARCHAR[] AS tasks
FROM problems q
JOIN projects p ON p.id = q.project_id
JOIN latest l ON l.project_id = q.project_id
LEFT JOIN units u ON u.code = q.unit_code
LEFT JOIN issue_acknowledgements a ON a.project_code = p.code AND a.period = q.period
                                   AND a.acknowledged_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
WHERE q.m = 1
ORDER BY q.period DESC, q.unit_code, p.code;
