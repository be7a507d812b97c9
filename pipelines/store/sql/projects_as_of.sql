-- The state of every project as of the end of day $as_of (DOMAIN §4, the macro latest_snapshots), with its
-- stage. $unit (or NULL) limits the result to projects whose latest snapshot belongs to that unit.
SELECT
    p.code AS project_code,
    latest.*,
    u.name AS unit_name,
    u.assess_group,
    stage_of(latest, $as_of) AS stage
FROM latest_snapshots($as_of) AS latest
JOIN projects p ON p.id = latest.project_id
LEFT JOIN units u ON u.code = latest.unit_code
WHERE $unit IS NULL OR latest.unit_code = $unit
ORDER BY latest.unit_code, p.code
