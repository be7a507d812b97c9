-- The texts of each project's snapshot in force at the end of $as_of (the macro state_at): name, investor,
-- 统一社会信用代码, 计划开工日期, and when its file was received. project_facts.sql leaves them out because few
-- callers need them (the trends read a dozen days' facts and show none of them).
SELECT t.project_id, t.project_name, t.investor, t.investor_uscc, t.planned_start_date, s.received_at
FROM state_at($as_of) t
JOIN submissions s ON s.id = t.submission_id
