-- Units an admin has marked 一票否优 for $year by the end of $known_by (DOMAIN §4: the past as it was known then;
-- NULL: every flag in force now).
SELECT unit_code, note, set_by, set_at FROM veto_flags
WHERE year = $year AND ($known_by IS NULL OR set_at < CAST($known_by AS DATE) + INTERVAL 1 DAY)
