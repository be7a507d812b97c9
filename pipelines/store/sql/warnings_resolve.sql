-- Resolve every open warning whose condition no longer holds; returns them.
UPDATE warnings
SET resolved_at = $now
WHERE resolved_at IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM incoming_conditions c WHERE c.rule = warnings.rule AND c.subject = warnings.subject
  )
RETURNING id, rule, subject, unit_code, grade, since, detail
