-- Each unit's annual targets for $year as known at the end of $as_of: the latest received row per unit (its blank
-- targets are not set). The target columns are pipelines.vocabulary.TARGET_FIELDS.
SELECT unit_code, signed_major, signed_amount_wan, commenced, production, major_manufacturing, in_stats, signed_50yi,
       signed_10_50yi, signed_5_10yi, invested_year_wan
FROM targets
WHERE year = $year AND received_at < CAST($as_of AS DATE) + INTERVAL 1 DAY
QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY received_at DESC, submission_id DESC) = 1
