-- Per registered unit, the sums the assessment scores (DOMAIN §5–§7) for the period end $period_end (E) as known at
-- the end of $as_of (K, DOMAIN §4), counted in the database: what measures.unit_figures sums over the flags that
-- measures.project_facts sets in numpy, and what duty.unit_reports and the assessment count from the same facts,
-- without bringing 10⁵ project rows into Python (the report of pipelines.report, ~0.1 s at province scale).
-- tests/test_report_tally.py holds the two paths equal, column by column, across month and year boundaries.
-- It runs after `facts` (project_facts.sql, with the duty parameters), `reports` (unit_reports.sql) and `later`,
-- composed by pipelines.figures.measures.unit_tally.
-- * Over the assessed projects (计划总投资 at or above $assess_min): the year's flow of every milestone (dated in
--   [$year_start, E]); each rate's cohort (opening date in [$cohort_start, E]; 开工项目投产率's: the 开工率's
--   hits) and hits (the hit date on or before E); 签约 in each size band of 天门; 7亿元以上制造业 signed; and the
--   sums of money: 签约金额, 资金到位率's parts (累计到位资金, blank 0, and 计划总投资 of the signed cohort),
--   本年完成投资 (累计完成投资 less its baseline; 0 when blank) and, for the projects whose state has a 年度计划投资
--   above 0, that plan and their 本年完成投资.
-- * Over every project charged to the unit: the projects earning a bonus (bonus_major: 7亿元以上制造业 signed;
--   bonus_other: any other signed at or above $bonus_other_min), the overdue updates of the window and those of them
--   forgotten (the unit's report for the month was on time), and the months owed (bitmask, as `owed_months`).
-- * From the unit's files: `received` and `on_time` (unit_reports.sql).
-- The baseline of 本年完成投资 is the timeline's `invested_before_year` for a state of E's year, the state's own
-- 累计完成投资 for an earlier one, and for a state already of a later year (a month's report produced after the
-- next year's first files came in) looked up among the files known by K: `later`, investment_baseline.sql for the
-- projects later_year_projects.sql finds (empty when there are none).
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
           signed AND coalesce(f.industry = $manufacturing, false) AND total >= $major_min AS major,
           coalesce(f.funds_in_place_wan, 0) AS funds,
           CASE WHEN f.invested_to_date_wan IS NULL THEN 0
                ELSE f.invested_to_date_wan - coalesce(
                    CASE WHEN f.period < $year_start THEN f.invested_to_date_wan
                         WHEN f.period < $next_year_start THEN f.invested_before_year
                         ELSE l.baseline END, 0) END AS invested_year,
           coalesce(f.annual_plan_wan > 0, false) AS planned,
           f.annual_plan_wan AS plan,
           f.overdue_months, f.owed_months,
           -- the overdue updates of months for which the unit's report was on time: forgotten (DOMAIN §6)
           f.overdue_months & coalesce(r.on_time, 0) AS forgotten_months
    FROM facts f
    LEFT JOIN later l ON l.project_id = f.project_id
    LEFT JOIN reports r ON r.unit_code = f.unit_code
),
sums AS (
    -- per unit and whether the projects are assessed: a group key costs less than the same condition in every sum
    SELECT unit_code, assessed,
           count_if(lead) AS lead,
           count_if(evaluated) AS evaluated,
           count_if(approved) AS approved,
           count_if(signed) AS signed,
           count_if(commenced) AS commenced,
           count_if(in_stats) AS in_stats,
           count_if(completed) AS completed,
           count_if(production) AS production,
           count_if(major) AS major_manufacturing,
           -- 天门's size bands of 签约 (pipelines.vocabulary.SIGNED_BANDS): [low, high) in 万元
           count_if(signed AND total >= $signed_50yi_low AND total < $signed_50yi_high) AS signed_50yi,
           count_if(signed AND total >= $signed_10_50yi_low AND total < $signed_10_50yi_high) AS signed_10_50yi,
           count_if(signed AND total >= $signed_5_10yi_low AND total < $signed_5_10yi_high) AS signed_5_10yi,
           count_if(signed_cohort) AS commencement_rate_base,
           count_if(signed_cohort AND commenced_by_end) AS commencement_rate_hits,
           count_if(commenced_cohort) AS stats_rate_base,
           count_if(commenced_cohort AND in_stats_by_end) AS stats_rate_hits,
           -- 开工项目投产率: the 开工率's commenced cohort (its hits), DOMAIN §5
           count_if(signed_cohort AND commenced_by_end) AS production_rate_base,
           count_if(signed_cohort AND commenced_by_end AND production_by_end) AS production_rate_hits,
           sum(total) FILTER (WHERE signed) AS signed_amount_wan,
           sum(funds) FILTER (WHERE signed_cohort) AS funds_cohort_wan,
           sum(total) FILTER (WHERE signed_cohort) AS funds_cohort_total_wan,
           sum(invested_year) AS invested_year_wan,
           sum(plan) FILTER (WHERE planned) AS plan_year_wan,
           sum(invested_year) FILTER (WHERE planned) AS plan_invested_year_wan,
           count_if(signed AND NOT major AND total >= $bonus_other_min) AS bonus_other,
           sum(bit_count(overdue_months)) AS overdue_updates,
           sum(bit_count(forgotten_months)) AS forgotten_updates,
           bit_or(owed_months) AS owed
    FROM flagged
    GROUP BY unit_code, assessed
),
by_unit AS (
    -- the figures over the assessed projects (their row of sums); the bonus and the duty over all
    SELECT d.unit_code, a.* EXCLUDE (unit_code, assessed, bonus_other, overdue_updates, forgotten_updates, owed),
           d.* EXCLUDE (unit_code)
    FROM (SELECT unit_code, sum(major_manufacturing) AS bonus_major, sum(bonus_other) AS bonus_other,
                 sum(overdue_updates) AS overdue_updates, sum(forgotten_updates) AS forgotten_updates,
                 bit_or(owed) AS owed
          FROM sums
          GROUP BY unit_code) d
    LEFT JOIN sums a ON a.unit_code = d.unit_code AND a.assessed
)
SELECT u.code, u.name, u.kind, u.assess_group AS "group", s.* EXCLUDE (unit_code),
       coalesce(r.received, 0) AS received, coalesce(r.on_time, 0) AS on_time
FROM units u
LEFT JOIN by_unit s ON s.unit_code = u.code
LEFT JOIN reports r ON r.unit_code = u.code
ORDER BY u.assess_group, u.code
