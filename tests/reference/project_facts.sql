-- The reference for pipelines/store/sql/project_facts.sql (tests only; tests/reference/__init__.py runs both): the same
-- columns, worked out from the snapshots and submissions alone, without the stored timeline. It was the
-- product's query before the timeline, measured at 0.2–0.4 s at province scale, which is why it is not used.
--
-- Every project as known at the end of $as_of (DOMAIN §4) with what the figures count: its latest snapshot
-- (named by its file's `submission_id`) with its unit and group, industry, 计划总投资, status and milestone dates;
-- its earliest and latest reported month; and its update duty (DOMAIN §6):
-- * `overdue_months` over the report months $first_period … $last_period (first days of months; at most 60
--   months, the last of them already due; due day $due_day): a bitmask whose bit n says that the month n months
--   after $first_period was owed and not updated on time;
-- * `reported_until`, the latest month any snapshot received by $as_of reports (superseded files count: they
--   arrived), and `months_behind`, how many months after it up to $last_due (the latest month already due) the
--   project owes and has not sent: it is currently stale when that is above 0, since `reported_until` + 1 month.
-- A project owes month P from its earliest reported month on, not after a month reported 终止 and not when its
-- 投产日期 is before P; P is on time when a snapshot with period >= P arrived by the end of P's due day.
--
-- How: the snapshots are grouped by project in a few passes. What depends only on the file (its place in the
-- order of receipt, whether a later file superseded it by $as_of, the first month its arrival is on time for) is
-- worked out once per file (`files`); the earliest and latest month need every snapshot (`reported`); the
-- snapshot in force is the one with the largest month · 2^32 + place in the order of receipt, from the window
-- $first_period … (`recent`, which also gives the on-time bitmask) or, for projects without one, from older
-- snapshots (`earlier`); 终止 rows are grouped apart (`terminations`).
WITH span AS (
    SELECT month_number(CAST($first_period AS DATE)) AS lo, month_number(CAST($last_period AS DATE)) AS hi
),
files AS (
    -- Each file received by the end of $as_of: its place in the order of receipt (received_at, then id: the
    -- tie-break of DOMAIN §4) while it is in force, NULL once a later file superseded it (it then gives timing,
    -- not state); and the first window month its arrival is on time for (month P's update is on time until the
    -- end of P's due day, i.e. while received_at − $due_day days is still in month P or earlier).
    SELECT s.id AS submission_id,
           CASE WHEN s.id NOT IN (SELECT submission_id FROM superseded_by($as_of))
                THEN row_number() OVER (ORDER BY s.received_at, s.id) END AS state_order,
           month_number(s.received_at - $due_day * INTERVAL 1 DAY) - w.lo AS on_time_from
    FROM submissions s
    CROSS JOIN span w
    WHERE s.received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
),
reported AS (
    SELECT project_id, min(period) AS first_period, max(period) AS reported_until
    FROM received_by($as_of)
    GROUP BY project_id
),
recent AS (
    -- arg_max skips the NULL keys of superseded files. A snapshot is on time for the window months from its
    -- file's on_time_from up to its own month (none when it came after its own month's due day).
    SELECT r.project_id,
           arg_max(r.row_id, month_number(r.period) * 4294967296 + f.state_order) AS latest_row,
           bit_or(month_bits(greatest(f.on_time_from, 0), least(month_number(r.period), w.hi) - w.lo))
               AS on_time_months
    FROM received_by($as_of) r
    JOIN files f ON f.submission_id = r.submission_id
    CROSS JOIN span w
    WHERE r.period >= CAST($first_period AS DATE)
    GROUP BY r.project_id
),
earlier AS (
    SELECT r.project_id, arg_max(r.row_id, month_number(r.period) * 4294967296 + f.state_order) AS latest_row
    FROM received_by($as_of) r
    JOIN files f ON f.submission_id = r.submission_id
    WHERE r.period < CAST($first_period AS DATE)
      AND r.project_id IN (SELECT project_id FROM reported EXCEPT
                           SELECT project_id FROM recent WHERE latest_row IS NOT NULL)
    GROUP BY r.project_id
),
terminations AS (
    SELECT r.project_id, min(r.period) AS terminated_period
    FROM received_by($as_of) r
    JOIN files f ON f.submission_id = r.submission_id
    WHERE r.status = 'terminated' AND f.state_order IS NOT NULL
    GROUP BY r.project_id
),
latest AS (
    SELECT l.*, h.first_period, l.period AS last_period, h.reported_until,
           coalesce(n.on_time_months, 0) AS on_time_months,
           -- the last month owed, if any: the first month reported 终止 or the month of 投产, whichever is first
           least(month_number(t.terminated_period), month_number(l.production_date)) AS owed_until
    FROM reported h
    LEFT JOIN recent n ON n.project_id = h.project_id
    LEFT JOIN earlier e ON e.project_id = h.project_id
    JOIN snapshots l ON l.rowid = coalesce(n.latest_row, e.latest_row)
    LEFT JOIN terminations t ON t.project_id = h.project_id
),
before_year AS (
    -- the baseline of 本年完成投资: the snapshot in force among those of the years before the latest one's year
    SELECT l.project_id, arg_max(r.row_id, month_number(r.period) * 4294967296 + f.state_order) AS baseline_row
    FROM latest l
    JOIN received_by($as_of) r ON r.project_id = l.project_id AND r.period < date_trunc('year', l.period)
    JOIN files f ON f.submission_id = r.submission_id
    WHERE f.state_order IS NOT NULL
    GROUP BY l.project_id
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
    l.last_period,
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
    l.annual_plan_wan, l.invested_to_date_wan, l.funds_in_place_wan, b.invested_to_date_wan AS invested_before_year
FROM latest l
LEFT JOIN before_year y ON y.project_id = l.project_id
LEFT JOIN snapshots b ON b.rowid = y.baseline_row
JOIN projects p ON p.id = l.project_id
LEFT JOIN units u ON u.code = l.unit_code
CROSS JOIN span w
