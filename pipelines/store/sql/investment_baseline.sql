-- The baseline of 本年完成投资 (DOMAIN §5) of the projects in the registered table `baseline_projects`
-- (project_id): the 累计完成投资 of the snapshot that takes precedence (the macro precedence) among those with a
-- report month before $year_start received by the end of $known_by in files not superseded by then; NULL when blank.
-- pipelines.figures.measures asks only for the few projects whose state is already of a later year; the timeline
-- keeps the baseline of every other.
SELECT r.project_id,
       arg_max_null(r.invested_to_date_wan, precedence(r.period, r.received_at, r.submission_id)) AS baseline
FROM received_by($known_by) r
SEMI JOIN baseline_projects b ON b.project_id = r.project_id
WHERE r.period < CAST($year_start AS DATE)
  AND r.submission_id NOT IN (SELECT submission_id FROM superseded_by($known_by))
GROUP BY r.project_id
