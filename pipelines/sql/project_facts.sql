-- Every project as known at the end of $as_of (DOMAIN §4) with what the figures count: its latest snapshot's
-- unit and group, industry, 计划总投资, status and milestone dates; its earliest and latest reported month; and
-- its update duty (DOMAIN §6) over the report months $first_period … $last_period (first days of months; at
-- most 60 months, the last of them already due; due day $due_day): `overdue_months`, a bitmask whose bit n
-- says that the month n months after $first_period was owed and not updated on time.
-- A project owes month P from its earliest reported month on, not after a month reported 终止 and not when its
-- 投产日期 is before P; P is on time when a snapshot with period >= P arrived by the end of P's due day.
--
-- Why it is written this way: at province scale there are millions of snapshots and of owed (project, month)
-- pairs, so a window over every snapshot or a row per owed month costs seconds. Instead one pass groups the
-- snapshots by project: the latest one by a single aggregate (macro latest_row_id), fetched back by row id;
-- the months updated on time folded into a bitmask. pipelines.duty turns the overdue bits into months.
WITH span AS (
    SELECT month_number(CAST($first_period AS DATE)) AS lo, month_number(CAST($last_period AS DATE)) AS hi
),
history AS (
    SELECT r.project_id,
           -- state from the files in force (a NULL key is skipped by arg_max); timing from every file
           latest_row_id(r.row_id, CASE WHEN x.submission_id IS NULL THEN r.period END, r.received_at,
                         r.submission_id) AS latest_row,
           min(r.period) AS first_period,
           min(r.period) FILTER (WHERE r.status = 'terminated' AND x.submission_id IS NULL) AS terminated_period,
           -- A snapshot is on time for its own month when it arrived before the first day of the next month
           -- plus $due_day days; one that came within $due_day days of its own month's start (rare) is also on
           -- time for the earlier months whose due day had not yet passed. Snapshots of months before the
           -- window cover none of it (the first test only spares the others the date arithmetic).
           bit_or(CASE WHEN r.period < CAST($first_period AS DATE) THEN CAST(0 AS BIGINT)
                       WHEN r.received_at >= last_day(r.period) + ($due_day + 1) THEN CAST(0 AS BIGINT)
                       ELSE month_bits(
                           greatest(CASE WHEN r.received_at < r.period + CAST($due_day AS INTEGER)
                                         THEN month_number(r.received_at - $due_day * INTERVAL 1 DAY)
                                         ELSE month_number(r.period) END - s.lo, 0),
                           least(month_number(r.period), s.hi) - s.lo)
                  END) AS on_time_months
    FROM received_by($as_of) r
    LEFT JOIN superseded_by($as_of) x ON x.submission_id = r.submission_id
    CROSS JOIN span s
    GROUP BY r.project_id
),
latest AS (
    SELECT l.*, h.first_period, l.period AS last_period, h.on_time_months,
           -- the months owed, counted from $first_period: from the earliest reported one (or the window's
           -- start) to the window's end, the first month reported 终止 or the month of 投产, whichever is first
           greatest(month_number(h.first_period) - s.lo, 0) AS owed_from,
           least(s.hi, month_number(h.terminated_period), month_number(l.production_date)) - s.lo AS owed_to
    FROM history h
    JOIN snapshots l ON l.rowid = h.latest_row
    CROSS JOIN span s
)
SELECT
    l.project_id,
    p.code AS project_code,
    l.project_name,
    l.unit_code,
    u.assess_group,
    l.industry,
    l.investor,
    l.investor_uscc,
    l.total_investment_wan,
    l.status,
    l.period,
    l.received_at,
    l.lead_date, l.evaluated_date, l.approved_date, l.signed_date,
    l.commenced_date, l.in_stats_date, l.completed_date, l.production_date,
    l.planned_start_date,
    l.first_period,
    l.last_period,
    month_bits(l.owed_from, l.owed_to) & ~l.on_time_months AS overdue_months
FROM latest l
JOIN projects p ON p.id = l.project_id
LEFT JOIN units u ON u.code = l.unit_code
