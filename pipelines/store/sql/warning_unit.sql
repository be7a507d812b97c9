-- alerts.centre: whose warning $warning_id is (its unit) and whether it is resolved; no row when there is none.
SELECT unit_code, resolved_at FROM warnings WHERE id = $warning_id
