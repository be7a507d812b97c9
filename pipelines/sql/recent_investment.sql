-- 累计完成投资 in each project's latest reports known at the end of $as_of (superseded files left out): one value
-- per report period (the latest received), and for the newest $short and $long periods whether there are that
-- many reports, all filled and all equal; `window_start` is the oldest period of the longest equal window.
WITH per_period AS (
    SELECT project_id, period,
           arg_max_null(invested_to_date_wan, CAST(epoch_us(received_at) AS HUGEINT) * 2147483648 + submission_id)
               AS invested
    FROM received_by($as_of)
    WHERE submission_id NOT IN (SELECT submission_id FROM superseded_by($as_of))
    GROUP BY project_id, period
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY project_id ORDER BY period DESC) AS n FROM per_period
)
SELECT project_id,
       count(invested) FILTER (WHERE n <= $short) = $short
           AND count(DISTINCT invested) FILTER (WHERE n <= $short) = 1 AS flat_short,
       count(invested) FILTER (WHERE n <= $long) = $long
           AND count(DISTINCT invested) FILTER (WHERE n <= $long) = 1 AS flat_long,
       min(period) FILTER (WHERE n <= $short) AS short_start,
       min(period) FILTER (WHERE n <= $long) AS long_start
FROM ranked
WHERE n <= $long
GROUP BY project_id
