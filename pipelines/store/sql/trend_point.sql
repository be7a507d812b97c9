-- A trend's point (the big screen's and 单元看板's 月度走势): the year's flows, 签约金额 and the cohorts and hits of
-- 签约项目开工率 and 开工项目纳统率 of the assessed projects (计划总投资 at or above $assess_min) of unit $unit (NULL:
-- every unit), as known at the end of $day (DOMAIN §4 with E = K). It is what measures.tally counts from
-- measures.project_facts of the day, counted in the database from the day's state alone (a trend's month-ends
-- each cost a whole project_facts at province scale, ~0.4 s); tests/test_cockpit.py holds the two equal.
-- Flows count a milestone dated in [$year_start, $day]; a rate's cohort opens in [$cohort_start, $day] and hits
-- on or before $day.
SELECT
    count(*) FILTER (WHERE signed_date BETWEEN $year_start AND $day) AS signed,
    coalesce(sum(total_investment_wan) FILTER (WHERE signed_date BETWEEN $year_start AND $day), 0)
        AS signed_amount_wan,
    count(*) FILTER (WHERE commenced_date BETWEEN $year_start AND $day) AS commenced,
    count(*) FILTER (WHERE in_stats_date BETWEEN $year_start AND $day) AS in_stats,
    count(*) FILTER (WHERE production_date BETWEEN $year_start AND $day) AS production,
    count(*) FILTER (WHERE signed_date BETWEEN $cohort_start AND $day) AS commencement_rate_base,
    count(*) FILTER (WHERE signed_date BETWEEN $cohort_start AND $day AND commenced_date <= $day)
        AS commencement_rate_hits,
    count(*) FILTER (WHERE commenced_date BETWEEN $cohort_start AND $day) AS stats_rate_base,
    count(*) FILTER (WHERE commenced_date BETWEEN $cohort_start AND $day AND in_stats_date <= $day)
        AS stats_rate_hits
FROM state_at(CAST($day AS DATE))
WHERE total_investment_wan >= $assess_min
  AND ($unit IS NULL OR unit_code = $unit)
