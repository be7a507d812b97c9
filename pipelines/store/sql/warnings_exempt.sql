-- alerts.evaluate.exempt: resolve the open warning of ($rule, $subject), just exempted; returns it.
UPDATE warnings
SET resolved_at = $now
WHERE resolved_at IS NULL AND rule = $rule AND subject = $subject
RETURNING id, rule, subject, unit_code, grade, since, detail
