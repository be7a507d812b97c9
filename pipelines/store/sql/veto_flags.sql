-- Units an admin has marked 一票否优 for $year.
SELECT unit_code, note, set_by, set_at FROM veto_flags WHERE year = $year
