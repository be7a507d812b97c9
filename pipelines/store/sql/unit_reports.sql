-- Each unit's monthly reports over the report months $first_period … $last_period (first days of months, at most
-- 60) as known at the end of $as_of (DOMAIN §6): bitmasks whose bit n is the month n months after $first_period,
-- `received` when a file of the unit with an accepted row for the month had arrived by then, `on_time` when one had
-- arrived by the end of the month's due day (day $due_day of the next month). Read from unit_reports (kept by
-- pipelines.store.timeline), which holds one row per file, unit and month.
WITH arrivals AS (
    SELECT unit_code, period, min(received_at) AS first_received
    FROM unit_reports
    WHERE period BETWEEN CAST($first_period AS DATE) AND CAST($last_period AS DATE)
      AND received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
    GROUP BY unit_code, period
)
SELECT unit_code,
       bit_or(CAST(1 AS BIGINT) << (month_number(period) - month_number(CAST($first_period AS DATE)))) AS received,
       coalesce(bit_or(CAST(1 AS BIGINT) << (month_number(period) - month_number(CAST($first_period AS DATE))))
                FILTER (WHERE first_received < due_day_of(year(period), month(period), $due_day) + INTERVAL 1 DAY), 0)
           AS on_time
FROM arrivals
GROUP BY unit_code
