-- The texts of the snapshots named in the registered table `fact_rows` (project_id, submission_id): name,
-- investor, 统一社会信用代码, 计划开工日期 and when the snapshot was received. project_facts.sql leaves them out
-- because few callers need them and they are read from the snapshots themselves.
SELECT s.project_id, s.project_name, s.investor, s.investor_uscc, s.planned_start_date, s.received_at
FROM snapshots s
SEMI JOIN fact_rows f ON f.project_id = s.project_id AND f.submission_id = s.submission_id
