-- Open a warning for every incoming condition (rule, subject) that has no open warning yet; returns them.
INSERT INTO warnings (id, rule, subject, unit_code, grade, since, detail, first_seen, last_seen)
SELECT nextval('warning_ids'), c.rule, c.subject, c.unit_code, c.grade, c.since, c.detail, $now, $now
FROM incoming_conditions c
WHERE NOT EXISTS (
    SELECT 1 FROM warnings w WHERE w.resolved_at IS NULL AND w.rule = c.rule AND w.subject = c.subject
)
RETURNING id, rule, subject, unit_code, grade, since, detail
