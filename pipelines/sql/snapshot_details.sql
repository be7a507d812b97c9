-- The texts of the snapshots whose row ids are in the registered table `fact_rows` (column snapshot_row): name,
-- investor, 统一社会信用代码, 计划开工日期 and when the snapshot was received. project_facts.sql leaves them out
-- because few callers need them and each costs a pass over most of the table (see there).
SELECT rowid AS snapshot_row, project_name, investor, investor_uscc, planned_start_date, received_at
FROM snapshots
WHERE rowid IN (SELECT snapshot_row FROM fact_rows)
