-- Per registered unit, the sums the assessment scores (DOMAIN §5–§7) for the period end $period_end (E) as known at
-- the end of $as_of (K, DOMAIN §4), counted in the database: what measures.unit_figures sums over the flags that
-- measures.project_facts sets in numpy, and what duty.unit_reports and the assessment count from the same facts,
-- without bringing 10⁵ project rows into Python (the report of pipelines.report, ~0.1 s at province scale).
-- tests/test_report_tally.py holds the two paths equal, column by column, across month and year boundaries.
-- It runs after `facts` (project_facts.sql, with the duty parameters) and `reports` (unit_reports.sql), composed by
-- pipelines.figures.measures.unit_tally.
-- * Over the assessed projects (计划总投资 at or above $assess_min): the year's flow of every milestone (dated in
--   [$year_start, E]); each rate's cohort (opening date in [$cohort_start, E]) and hits (the hit date on or before E);
--   签约 in each size band of 天门; 7亿元以上制造业 signed; and the sums of money: 签约金额, 资金到位率's parts
--   (累计到位资金, blank 0, and 计划总投资 of the signed cohort), 本年完成投资 (累计完成投资 less its baseline; 0
--   when blank) and, for the projects with a 年度计划投资 above 0 in a state of E's year, that plan and their
--   本年完成投资.
-- * Over every project charged to the unit: the projects earning a bonus (bonus_major: 7亿元以上制造业 signed;
--   bonus_other: any other signed at or above $bonus_other_min), the overdue updates of the window and those of them
--   forgotten (the unit's report for the month was on time), and the months owed (bitmask, as `owed_months`).
-- * From the unit's files: `received` and `on_time` (unit_reports.sql).
-- The baseline of 本年完成投资 is the timeline's `invested_before_year` for a state of E's year, the state's own
-- 累计完成投资 for an earlier one, and for a state already of a later year (a month's report produced after the
-- next year's first files came in) looked up among the files known by K (as investment_baseline.sql).
later AS (
    SELECT r.project_id,
           arg_max_null(r.invested_to_date_wan, precedence(r.period, r.received_at, r.submission_id)) AS baseline
    FROM received_by($as_of) r
    WHERE $later_states  -- later_states.sql: none, nothing to look up
      AND r.project_id IN (SELECT project_id FROM state_at($as_of) WHERE year(period) > year(CAST($period_end AS DATE)))
      AND r.period < CAST($year_start AS DATE)
      AND r.submission_id NOT IN (SELECT submission_id FROM superseded_by($as_of))
    GROUP BY r.project_id
),
flagged AS (
    SELECT f.unit_code,
           f.total_investment_wan AS total,
           f.total_investment_wan >= $assess_min AS assessed,
           f.lead_date BETWEEN $year_start AND $period_end AS lead,
           f.evaluated_date BETWEEN $year_start AND $period_end AS evaluated,
           f.approved_date BETWEEN $year_start AND $period_end AS approved,
           f.signed_date BETWEEN $year_start AND $period_end AS signed,
           f.commenced_date BETWEEN $year_start AND $period_end AS commenced,
           f.in_stats_date BETWEEN $year_start AND $period_end AS in_stats,
           f.completed_date BETWEEN $year_start AND $period_end AS completed,
           f.production_date BETWEEN $year_start AND $period_end AS production,
           f.signed_date BETWEEN $cohort_start AND $period_end AS signed_cohort,
           f.commenced_date BETWEEN $cohort_start AND $period_end AS commenced_cohort,
           f.commenced_date <= $period_end AS commenced_by_end,
           f.in_stats_date <= $period_end AS in_stats_by_end,
           f.production_date <= $period_end AS production_by_end,
           f.signed_date BETWEEN $year_start AND $period_end AND coalesce(f.industry = $manufacturing, false)
               AND f.total_investment_wan >= $major_min AS major,
           coalesce(f.funds_in_place_wan, 0) AS funds,
           CASE WHEN f.invested_to_date_wan IS NULL THEN 0
                ELSE f.invested_to_date_wan - coalesce(
                    CASE WHEN year(f.period) < year(CAST($period_end AS DATE)) THEN f.invested_to_date_wan
                         WHEN year(f.period) = year(CAST($period_end AS DATE)) THEN f.invested_before_year
                         ELSE l.baseline END, 0) END AS invested_year,
           f.annual_plan_wan > 0 AND year(f.period) = year(CAST($period_end AS DATE)) AS planned,
           f.annual_plan_wan AS plan,
           f.overdue_months, f.owed_months,
           -- the overdue updates of months for which the unit's report was on time: forgotten (DOMAIN §6)
           f.overdue_months & coalesce(r.on_time, 0) AS forgotten_months
    FROM facts f
    LEFT JOIN later l ON l.project_id = f.project_id
    LEFT JOIN reports r ON r.unit_code = f.unit_code
),
sums AS (
    SELECT unit_code,
           count(*) FILTER (WHERE assessed AND lead) AS lead,
           count(*) FILTER (WHERE assessed AND evaluated) AS evaluated,
           count(*) FILTER (WHERE assessed AND approved) AS approved,
           count(*) FILTER (WHERE assessed AND signed) AS signed,
           count(*) FILTER (WHERE assessed AND commenced) AS commenced,
           count(*) FILTER (WHERE assessed AND in_stats) AS in_stats,
           count(*) FILTER (WHERE assessed AND completed) AS completed,
           count(*) FILTER (WHERE assessed AND production) AS production,
           count(*) FILTER (WHERE assessed AND major) AS major_manufacturing,
           -- 天门's size bands of 签约 (pipelines.vocabulary.SIGNED_BANDS): [low, high) in 万元
           count(*) FILTER (WHERE assessed AND signed AND total >= $signed_50yi_low AND total < $signed_50yi_high)
               AS signed_50yi,
           count(*) FILTER (WHERE assessed AND signed AND total >= $signed_10_50yi_low
                                  AND total < $signed_10_50yi_high) AS signed_10_50yi,
           count(*) FILTER (WHERE assessed AND signed AND total >= $signed_5_10yi_low AND total < $signed_5_10yi_high)
               AS signed_5_10yi,
           count(*) FILTER (WHERE assessed AND signed_cohort) AS commencement_rate_base,
           count(*) FILTER (WHERE assessed AND signed_cohort AND commenced_by_end) AS commencement_rate_hits,
           count(*) FILTER (WHERE assessed AND commenced_cohort) AS stats_rate_base,
           count(*) FILTER (WHERE assessed AND commenced_cohort AND in_stats_by_end) AS stats_rate_hits,
           count(*) FILTER (WHERE assessed AND commenced_cohort) AS production_rate_base,
           count(*) FILTER (WHERE assessed AND commenced_cohort AND production_by_end) AS production_rate_hits,
           coalesce(sum(total) FILTER (WHERE assessed AND signed), 0) AS signed_amount_wan,
           coalesce(sum(funds) FILTER (WHERE assessed AND signed_cohort), 0) AS funds_cohort_wan,
           coalesce(sum(total) FILTER (WHERE assessed AND signed_cohort), 0) AS funds_cohort_total_wan,
           coalesce(sum(invested_year) FILTER (WHERE assessed), 0) AS invested_year_wan,
           coalesce(sum(plan) FILTER (WHERE assessed AND planned), 0) AS plan_year_wan,
           coalesce(sum(invested_year) FILTER (WHERE assessed AND planned), 0) AS plan_invested_year_wan,
           count(*) FILTER (WHERE major) AS bonus_major,
           count(*) FILTER (WHERE signed AND NOT major AND total >= $bonus_other_min) AS bonus_other,
           coalesce(sum(bit_count(overdue_months)), 0) AS overdue_updates,
           coalesce(sum(bit_count(forgotten_months)), 0) AS forgotten_updates,
           coalesce(bit_or(owed_months), 0) AS owed
    FROM flagged
    GROUP BY unit_code
)
SELECT u.code, u.name, u.kind, u.assess_group AS "group", s.* EXCLUDE (unit_code),
       coalesce(r.received, 0) AS received, coalesce(r.on_time, 0) AS on_time
FROM units u
LEFT JOIN sums s ON s.unit_code = u.code
LEFT JOIN reports r ON r.unit_code = u.code
ORDER BY u.assess_group, u.code
