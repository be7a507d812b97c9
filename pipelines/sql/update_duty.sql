-- The update duty of DOMAIN §6, judged on the snapshots received by the end of $as_of.
-- One row per (project, period P) that the project owes an update for and whose due date is on or before
-- $as_of: P runs from the project's earliest reported period to $last_due_period, stops after a period
-- reported 终止, and skips periods starting after the project's 投产日期.
-- on_time: a snapshot with period >= P arrived by the end of P's due day (day $due_day of the next month).
-- received: a snapshot with period >= P has arrived by $as_of at all (false = the project is stale for P).
WITH snaps AS (
    SELECT project_id, period, received_at, status FROM received_by($as_of)
),
latest AS (
    SELECT project_id, unit_code, production_date FROM latest_snapshots($as_of)
),
bounds AS (
    SELECT project_id,
           min(period) AS first_period,
           min(period) FILTER (WHERE status = 'terminated') AS terminated_period
    FROM snaps
    GROUP BY project_id
),
owed AS (
    SELECT b.project_id, l.unit_code,
           CAST(unnest(generate_series(b.first_period, CAST($last_due_period AS DATE), INTERVAL 1 MONTH)) AS DATE)
               AS period,
           b.terminated_period, l.production_date
    FROM bounds b
    JOIN latest l USING (project_id)
    WHERE b.first_period <= CAST($last_due_period AS DATE)
),
first_receipt AS (
    -- For each reported period p: the earliest arrival of any snapshot with period >= p.
    SELECT project_id, period,
           min(received_at) OVER (
               PARTITION BY project_id ORDER BY period DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS first_received_at
    FROM (SELECT project_id, period, min(received_at) AS received_at FROM snaps GROUP BY project_id, period)
)
SELECT o.project_id, o.unit_code, o.period,
       CAST(o.period + INTERVAL 1 MONTH + ($due_day - 1) * INTERVAL 1 DAY AS DATE) AS due_date,
       r.first_received_at,
       coalesce(r.first_received_at < o.period + INTERVAL 1 MONTH + $due_day * INTERVAL 1 DAY, false) AS on_time,
       r.first_received_at IS NOT NULL AS received
FROM owed o
ASOF LEFT JOIN first_receipt r ON o.project_id = r.project_id AND r.period >= o.period
WHERE (o.terminated_period IS NULL OR o.period <= o.terminated_period)
  AND (o.production_date IS NULL OR o.production_date >= o.period)
