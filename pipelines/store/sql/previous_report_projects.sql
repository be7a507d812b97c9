-- Projects in a unit's latest report before $period that are still owed in the next one:
-- not terminated and not yet in production (DOMAIN §3). Files superseded by $as_of are left out; the latest
-- received snapshot per project wins.
SELECT project_id, code, project_name, period
FROM (
    SELECT s.project_id, p.code, s.project_name, s.period, s.status, s.production_date
    FROM snapshots s
    JOIN projects p ON p.id = s.project_id
    WHERE s.unit_code = $unit
      AND s.period = (SELECT max(period) FROM snapshots WHERE unit_code = $unit AND period < $period)
      AND s.submission_id NOT IN (SELECT submission_id FROM superseded_by($as_of))
    QUALIFY row_number() OVER (PARTITION BY s.project_id ORDER BY s.received_at DESC, s.submission_id DESC) = 1
)
WHERE status <> 'terminated' AND production_date IS NULL
ORDER BY code
