-- Bring every open warning whose condition still holds up to date: grade, detail and when last seen.
UPDATE warnings AS w
SET grade = c.grade, detail = c.detail, last_seen = $now
FROM incoming_conditions c
WHERE w.resolved_at IS NULL AND c.rule = w.rule AND c.subject = w.subject
