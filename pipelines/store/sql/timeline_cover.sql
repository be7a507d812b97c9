-- project_cover rows of the projects in the temporary table timeline_projects: per project and year from its
-- earliest to its latest reported month, per month P (m01 … m12) the day the first snapshot reporting P or a
-- later month arrived.
WITH arrivals AS (
    SELECT project_id, period, min(CAST(received_at AS DATE)) AS received_day
    FROM snapshots
    WHERE project_id IN (SELECT project_id FROM timeline_projects)
    GROUP BY project_id, period
),
later AS (
    -- the first arrival of this month's report or a later one's
    SELECT project_id, period,
           min(received_day) OVER (PARTITION BY project_id ORDER BY period DESC ROWS UNBOUNDED PRECEDING) AS cover
    FROM arrivals
),
months AS (
    SELECT b.project_id, make_date(y, m, 1) AS month
    FROM (SELECT project_id, year(min(period)) AS first_year, year(max(period)) AS last_year
          FROM arrivals GROUP BY project_id) b,
         range(b.first_year, b.last_year + 1) t(y),
         range(1, 13) u(m)
),
covered AS (
    -- a month nobody reported takes the cover of the next month reported
    SELECT m.project_id, m.month, l.cover
    FROM months m
    ASOF LEFT JOIN later l ON l.project_id = m.project_id AND l.period >= m.month
)
SELECT project_id, year(month) AS year,
       min(cover) FILTER (WHERE month(month) = 1) AS m01, min(cover) FILTER (WHERE month(month) = 2) AS m02,
       min(cover) FILTER (WHERE month(month) = 3) AS m03, min(cover) FILTER (WHERE month(month) = 4) AS m04,
       min(cover) FILTER (WHERE month(month) = 5) AS m05, min(cover) FILTER (WHERE month(month) = 6) AS m06,
       min(cover) FILTER (WHERE month(month) = 7) AS m07, min(cover) FILTER (WHERE month(month) = 8) AS m08,
       min(cover) FILTER (WHERE month(month) = 9) AS m09, min(cover) FILTER (WHERE month(month) = 10) AS m10,
       min(cover) FILTER (WHERE month(month) = 11) AS m11, min(cover) FILTER (WHERE month(month) = 12) AS m12
FROM covered
GROUP BY project_id, year(month)
ORDER BY year, project_id
