-- Whether a project's state at the end of $as_of is already of a report month in a year after that of $period_end
-- (a month's report produced after the next year's first files came in): only then does unit_tally.sql look up
-- baselines of 本年完成投资 in the snapshots, a scan that costs more than the rest of its work on money.
SELECT coalesce(max(period) >= make_date(year(CAST($period_end AS DATE)) + 1, 1, 1), false)
FROM state_at(CAST($as_of AS DATE))
