-- Every project as known at the end of $as_of, the knowledge day K of DOMAIN §4 (milestones are compared with the
-- period end E by pipelines.figures.measures), with what the figures count: its state from the
-- timeline (the macro state_at: the snapshot in force, named by its file's `submission_id`, with its unit and
-- group, industry, 计划总投资, status and milestone dates; its earliest and latest reported month; the texts are
-- left to snapshot_details.sql) and its update duty (DOMAIN §6):
-- * `owed_months`, the months of the window the project owes an update for (due or not yet), and
--   `overdue_months`, over the report months $first_period … $last_period (first days of months; at most 60; due
--   day $due_day): bitmasks whose bit n is the month n months after $first_period, owed, resp. owed, already due
--   (not after $last_due) and not updated on time;
-- * the money of the snapshot in force (年度计划投资, 累计完成投资, 累计到位资金) and `invested_before_year`;
-- * `reported_until`, the latest month any snapshot received by $as_of reports (superseded files count: they
--   arrived), and `months_behind`, how many months after it up to $last_due (the latest month already due) the
--   project owes and has not sent: it is currently stale when that is above 0, since `reported_until` + 1 month.
-- A project owes month P from its earliest reported month on, not after a month reported 终止 and not when its
-- 投产日期 is before P; P is on time when a snapshot with period >= P arrived by the end of P's due day. Every
-- month of the window is already due, so whether it was updated on time does not depend on $as_of: it is read
-- from project_cover (the first arrival covering each month), compared with each month's due day.
-- pipelines.figures.duty turns the overdue bits into months. tests/reference/project_facts.sql computes the same from
-- the snapshots alone; tests/test_timeline.py holds the two equal.
WITH span AS (
    SELECT month_number(CAST($first_period AS DATE)) AS lo, month_number(CAST($last_period AS DATE)) AS hi
),
years AS (
    -- per year of the window, for each month (1 … 12): its due day, and its bit in the window (0 outside it)
    SELECT y AS year,
           due_day_of(y, 1, $due_day) AS d01, due_day_of(y, 2, $due_day) AS d02, due_day_of(y, 3, $due_day) AS d03,
           due_day_of(y, 4, $due_day) AS d04, due_day_of(y, 5, $due_day) AS d05, due_day_of(y, 6, $due_day) AS d06,
           due_day_of(y, 7, $due_day) AS d07, due_day_of(y, 8, $due_day) AS d08, due_day_of(y, 9, $due_day) AS d09,
           due_day_of(y, 10, $due_day) AS d10, due_day_of(y, 11, $due_day) AS d11, due_day_of(y, 12, $due_day) AS d12,
           window_bit(y, 1, w.lo, w.hi) AS b01, window_bit(y, 2, w.lo, w.hi) AS b02, window_bit(y, 3, w.lo, w.hi) AS b03,
           window_bit(y, 4, w.lo, w.hi) AS b04, window_bit(y, 5, w.lo, w.hi) AS b05, window_bit(y, 6, w.lo, w.hi) AS b06,
           window_bit(y, 7, w.lo, w.hi) AS b07, window_bit(y, 8, w.lo, w.hi) AS b08, window_bit(y, 9, w.lo, w.hi) AS b09,
           window_bit(y, 10, w.lo, w.hi) AS b10, window_bit(y, 11, w.lo, w.hi) AS b11, window_bit(y, 12, w.lo, w.hi) AS b12
    FROM span w, range(w.lo // 12, w.hi // 12 + 1) t(y)
),
on_time AS (
    -- the window months updated on time: the first arrival covering the month came by its due day
    SELECT c.project_id,
           bit_or(  CASE WHEN c.m01 <= y.d01 THEN y.b01 ELSE 0 END | CASE WHEN c.m02 <= y.d02 THEN y.b02 ELSE 0 END
                  | CASE WHEN c.m03 <= y.d03 THEN y.b03 ELSE 0 END | CASE WHEN c.m04 <= y.d04 THEN y.b04 ELSE 0 END
                  | CASE WHEN c.m05 <= y.d05 THEN y.b05 ELSE 0 END | CASE WHEN c.m06 <= y.d06 THEN y.b06 ELSE 0 END
                  | CASE WHEN c.m07 <= y.d07 THEN y.b07 ELSE 0 END | CASE WHEN c.m08 <= y.d08 THEN y.b08 ELSE 0 END
                  | CASE WHEN c.m09 <= y.d09 THEN y.b09 ELSE 0 END | CASE WHEN c.m10 <= y.d10 THEN y.b10 ELSE 0 END
                  | CASE WHEN c.m11 <= y.d11 THEN y.b11 ELSE 0 END | CASE WHEN c.m12 <= y.d12 THEN y.b12 ELSE 0 END)
               AS on_time_months
    FROM project_cover c
    JOIN years y ON y.year = c.year
    GROUP BY c.project_id
),
latest AS (
    SELECT l.*, coalesce(n.on_time_months, 0) AS on_time_months,
           -- the last month owed, if any: the first month reported 终止 or the month of 投产, whichever is first
           least(month_number(l.terminated_period), month_number(l.production_date)) AS owed_until
    FROM state_at($as_of) l
    LEFT JOIN on_time n ON n.project_id = l.project_id
)
SELECT
    l.project_id,
    p.code AS project_code,
    l.submission_id,
    l.unit_code,
    u.assess_group,
    l.industry,
    l.total_investment_wan,
    l.status,
    l.period,
    l.lead_date, l.evaluated_date, l.approved_date, l.signed_date,
    l.commenced_date, l.in_stats_date, l.completed_date, l.production_date,
    l.first_period,
    l.period AS last_period,
    -- the window months owed (counted from $first_period: from the earliest reported one or the window's start
    -- to owed_until or the window's end), already due ($last_due) and not updated on time
    month_bits(greatest(month_number(l.first_period) - w.lo, 0),
               least(w.hi, l.owed_until, month_number(CAST($last_due AS DATE))) - w.lo)
        & ~l.on_time_months AS overdue_months,
    -- the window months owed, updated on time or not (a unit's expected reports, DOMAIN §6)
    month_bits(greatest(month_number(l.first_period) - w.lo, 0), least(w.hi, l.owed_until) - w.lo) AS owed_months,
    l.reported_until,
    greatest(least(month_number(CAST($last_due AS DATE)), l.owed_until) - month_number(l.reported_until), 0)
        AS months_behind,
    -- the money of the snapshot in force, and the baseline of 本年完成投资 (DOMAIN §5) as the timeline keeps it:
    -- the 累计完成投资 in force among the report months before the year of the state's own month
    l.annual_plan_wan, l.invested_to_date_wan, l.funds_in_place_wan, l.invested_before_year
FROM latest l
JOIN projects p ON p.id = l.project_id
LEFT JOIN units u ON u.code = l.unit_code
CROSS JOIN span w
