-- The projects with a file received by the end of $as_of that reports a month on or after $next_year_start (the
-- year after the period end's): their state may already be of that later year (a month's report produced after
-- the next year's first files came in), and unit_tally.sql then looks up their baselines of 本年完成投资
-- (investment_baseline.sql). Almost always none; the zone maps of `period` make asking cost under a millisecond.
SELECT DISTINCT project_id
FROM snapshots
WHERE period >= CAST($next_year_start AS DATE)
  AND received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
