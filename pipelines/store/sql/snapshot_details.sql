-- The texts of each project's snapshot in force at the end of $known_by (the macro state_at): name, investor,
-- 统一社会信用代码, 计划开工日期, when its file was received, and its stage (the macro stage_of: the furthest
-- milestone reached by the period end $as_of). project_facts.sql leaves them out because few callers need them (the trends
-- read a dozen days' facts and show none of them).
SELECT t.project_id, t.project_name, t.investor, t.investor_uscc, t.planned_start_date, s.received_at,
       stage_of(t, $as_of) AS stage
FROM state_at($known_by) t
JOIN submissions s ON s.id = t.submission_id
