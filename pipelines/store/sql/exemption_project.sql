-- alerts.exemptions.grant: the unit of project $code as last reported (else the unit that first reported it); no
-- row when there is no such project.
SELECT coalesce(c.unit_code, p.unit_code) AS unit_code
FROM projects p
LEFT JOIN project_current c ON c.project_id = p.id
WHERE p.code = $code
