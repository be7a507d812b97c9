-- Each unit's annual targets for $year as known at the end of $as_of: the latest received row per unit.
SELECT unit_code, signed_major, signed_amount_wan, commenced, production, major_manufacturing
FROM targets
WHERE year = $year AND received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY received_at DESC, submission_id DESC) = 1
