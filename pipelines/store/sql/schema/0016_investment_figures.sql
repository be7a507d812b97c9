-- The bureau's whole indicator set (issue 17, DOMAIN §5, §7).
-- The further targets, per unit and year, blank meaning none: 新纳统项目数, the size bands of 签约 (50亿元以上,
-- 10亿至50亿元, 5亿至10亿元) and 本年完成投资 (stored in 万元; the workbook gives 亿元).
ALTER TABLE targets ADD COLUMN IF NOT EXISTS in_stats INTEGER;
ALTER TABLE targets ADD COLUMN IF NOT EXISTS signed_50yi INTEGER;
ALTER TABLE targets ADD COLUMN IF NOT EXISTS signed_10_50yi INTEGER;
ALTER TABLE targets ADD COLUMN IF NOT EXISTS signed_5_10yi INTEGER;
ALTER TABLE targets ADD COLUMN IF NOT EXISTS invested_year_wan DOUBLE;

-- The stored as-of state carries the money of the snapshot in force (年度计划投资, 累计完成投资, 累计到位资金) and
-- the baseline of 本年完成投资: the 累计完成投资 of the latest snapshot in force then whose report month lies in an
-- earlier year than the state's own (NULL when none or blank). db.migrate rebuilds the timeline after this.
ALTER TABLE project_spans ADD COLUMN IF NOT EXISTS annual_plan_wan DOUBLE;
ALTER TABLE project_spans ADD COLUMN IF NOT EXISTS invested_to_date_wan DOUBLE;
ALTER TABLE project_spans ADD COLUMN IF NOT EXISTS funds_in_place_wan DOUBLE;
ALTER TABLE project_spans ADD COLUMN IF NOT EXISTS invested_before_year DOUBLE;
ALTER TABLE project_current ADD COLUMN IF NOT EXISTS annual_plan_wan DOUBLE;
ALTER TABLE project_current ADD COLUMN IF NOT EXISTS invested_to_date_wan DOUBLE;
ALTER TABLE project_current ADD COLUMN IF NOT EXISTS funds_in_place_wan DOUBLE;
ALTER TABLE project_current ADD COLUMN IF NOT EXISTS invested_before_year DOUBLE;
