-- alerts.centre.warning_counts: the header of the warning centre for $scope (NULL: every unit) — open warnings
-- per grade and how many of them nobody has acknowledged, warnings first seen on $today, warnings resolved since
-- $week_start, notifications to the scope's channels that failed since $week_start — and when the rules were last
-- evaluated, county-wide: the latest successful evaluation run in the run log, or the latest time an evaluation
-- refreshed or resolved a warning (evaluations outside the scheduler log no run).
SELECT
    count(*) FILTER (WHERE resolved_at IS NULL AND grade = 'red') AS red,
    count(*) FILTER (WHERE resolved_at IS NULL AND grade = 'yellow') AS yellow,
    count(*) FILTER (WHERE resolved_at IS NULL AND acknowledged_at IS NULL) AS unacknowledged,
    count(*) FILTER (WHERE first_seen >= CAST($today AS DATE)) AS new_today,
    count(*) FILTER (WHERE resolved_at >= CAST($week_start AS DATE)) AS resolved_this_week,
    (SELECT count(*) FROM notification_log l JOIN notification_channels c ON c.id = l.channel_id
     WHERE l.outcome = 'failed' AND l.attempted_at >= CAST($week_start AS DATE)
       AND ($scope IS NULL OR (c.audience = 'unit' AND c.unit_code = $scope))) AS failed_notifications,
    (SELECT max(moment) FROM (
        SELECT max(finished_at) AS moment FROM scheduler_runs
        WHERE job_id IN ('evaluate', 'evaluate_after_load') AND outcome = 'ok'
        UNION ALL SELECT max(last_seen) FROM warnings
        UNION ALL SELECT max(resolved_at) FROM warnings) AS moments) AS evaluated_at
FROM warnings
WHERE $scope IS NULL OR unit_code = $scope
