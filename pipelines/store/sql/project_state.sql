-- pipelines.screens.project.project_figures: project $code's identity (the unit that first reported it, when it was
-- first reported: the earliest receipt of any of its snapshots, which an admin's back-fill dates as history) and its state as of the end of $as_of (DOMAIN §4, the macro latest_snapshots) with its stage and its
-- unit's name; no row when the code is unknown or nothing about the project had been received by then.
SELECT p.code AS project_code, p.unit_code AS first_unit_code, first_unit.name AS first_unit_name,
       (SELECT min(s.received_at) FROM snapshots s WHERE s.project_id = p.id) AS registered_at, latest.*, u.name AS unit_name, stage_of(latest, $as_of) AS stage
FROM projects p
JOIN latest_snapshots($as_of) AS latest ON latest.project_id = p.id
LEFT JOIN units u ON u.code = latest.unit_code
LEFT JOIN units first_unit ON first_unit.code = p.unit_code
WHERE p.code = $code
