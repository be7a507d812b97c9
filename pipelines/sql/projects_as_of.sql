-- The state of every project as of the end of day $as_of (DOMAIN §4): among the snapshots received by then,
-- the one with the latest report period, and among equals the latest received. $unit (or NULL) limits the
-- result to the projects whose latest snapshot belongs to that unit.
SELECT
    p.code AS project_code,
    latest.*,
    u.name AS unit_name,
    u.assess_group,
    stage_of(latest, $as_of) AS stage
FROM (
    SELECT s.*
    FROM snapshots s
    WHERE s.received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
    QUALIFY row_number() OVER (
        PARTITION BY s.project_id ORDER BY s.period DESC, s.received_at DESC, s.submission_id DESC
    ) = 1
) AS latest
JOIN projects p ON p.id = latest.project_id
LEFT JOIN units u ON u.code = latest.unit_code
WHERE $unit IS NULL OR latest.unit_code = $unit
ORDER BY latest.unit_code, p.code
