-- Every project as known at the end of $as_of (macro latest_snapshots) with what the figures count:
-- its unit and group, industry, 计划总投资, status and milestone dates.
SELECT
    l.project_id,
    p.code AS project_code,
    l.project_name,
    l.unit_code,
    u.assess_group,
    l.industry,
    l.total_investment_wan,
    l.status,
    l.period,
    l.received_at,
    l.lead_date, l.evaluated_date, l.approved_date, l.signed_date,
    l.commenced_date, l.in_stats_date, l.completed_date, l.production_date,
    l.planned_start_date
FROM latest_snapshots($as_of) AS l
JOIN projects p ON p.id = l.project_id
LEFT JOIN units u ON u.code = l.unit_code
