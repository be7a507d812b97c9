-- The states of the projects in the temporary table timeline_projects on every day from $from_day on when one of
-- them may change (pipelines.store.timeline keeps project_spans and project_current from these rows): the days their
-- snapshots arrived and the days a file holding one was superseded, and $from_day itself for a project already
-- known then. On each such day the state is DOMAIN §4 applied to the snapshots received by its end: the one in
-- force is the arg_max of the macro precedence over those whose file was not superseded by then; the earliest
-- and latest reported month count every snapshot received; 终止 counts only in files in force.
-- `valid_until` is the project's next such day (NULL for its last); `submission_id` names the file of the
-- snapshot in force, NULL on a day when none is (the project's only file was superseded by one that left it
-- out). Row ids serve only within this query: rows written in the caller's open transaction get theirs on commit.
--
-- `invested_before_year` is the 累计完成投资 of the snapshot that would be in force if only the report months before
-- the year of the state's own month counted (the baseline of 本年完成投资, DOMAIN §5; NULL when none or blank).
--
-- Each day is joined to every earlier snapshot of its project: for one file's projects that is a few rows per
-- snapshot; a rebuild of all projects (pipelines.store.timeline.rebuild) takes them in batches.
WITH snaps AS (
    SELECT s.rowid AS row_id, s.project_id, s.period, s.status,
           precedence(s.period, s.received_at, s.submission_id) AS precedence,
           CAST(s.received_at AS DATE) AS received_day,
           CAST(f.superseded_at AS DATE) AS superseded_day
    FROM snapshots s
    LEFT JOIN supersessions() f ON f.submission_id = s.submission_id
    WHERE s.project_id IN (SELECT project_id FROM timeline_projects)
),
days AS (
    SELECT DISTINCT project_id, day FROM (
        SELECT project_id, greatest(received_day, CAST($from_day AS DATE)) AS day FROM snaps
        UNION ALL
        SELECT project_id, superseded_day FROM snaps WHERE superseded_day >= CAST($from_day AS DATE)
    )
),
states AS (
    SELECT d.project_id, d.day AS valid_from,
           lead(d.day) OVER (PARTITION BY d.project_id ORDER BY d.day) AS valid_until,
           arg_max(s.row_id, s.precedence) FILTER (WHERE s.superseded_day IS NULL OR s.superseded_day > d.day)
               AS snapshot_row,
           min(s.period) AS first_period,
           max(s.period) AS reported_until,
           min(s.period) FILTER (WHERE s.status = 'terminated' AND (s.superseded_day IS NULL OR s.superseded_day > d.day))
               AS terminated_period
    FROM days d
    JOIN snaps s ON s.project_id = d.project_id AND s.received_day <= d.day
    GROUP BY d.project_id, d.day
),
in_force AS (
    SELECT t.*, l.period AS state_period FROM states t LEFT JOIN snapshots l ON l.rowid = t.snapshot_row
),
before_year AS (
    -- the baseline: among the snapshots in force on the day, the arg_max of precedence over the earlier years
    SELECT t.project_id, t.valid_from, arg_max(s.row_id, s.precedence) AS baseline_row
    FROM in_force t
    JOIN snaps s ON s.project_id = t.project_id AND s.received_day <= t.valid_from
                AND (s.superseded_day IS NULL OR s.superseded_day > t.valid_from)
                AND s.period < date_trunc('year', t.state_period)
    GROUP BY t.project_id, t.valid_from
)
SELECT t.project_id, t.valid_from, t.valid_until, l.submission_id, t.first_period, t.reported_until,
       t.terminated_period, l.unit_code, l.period, l.industry, l.total_investment_wan, l.status,
       l.lead_date, l.evaluated_date, l.approved_date, l.signed_date,
       l.commenced_date, l.in_stats_date, l.completed_date, l.production_date,
       l.project_name, l.investor, l.investor_uscc, l.planned_start_date,
       l.annual_plan_wan, l.invested_to_date_wan, l.funds_in_place_wan, b.invested_to_date_wan AS invested_before_year
FROM in_force t
LEFT JOIN snapshots l ON l.rowid = t.snapshot_row
LEFT JOIN before_year y ON y.project_id = t.project_id AND y.valid_from = t.valid_from
LEFT JOIN snapshots b ON b.rowid = y.baseline_row
