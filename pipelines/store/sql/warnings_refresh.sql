-- Bring every open warning whose condition still holds at another grade or with another detail up to date, and
-- note when (last_seen: when the warning last changed, so that an evaluation that changes nothing writes nothing —
-- at province scale it would rewrite tens of thousands of rows every few minutes; warnings_as_of reads the stored
-- detail for the days from last_seen on).
UPDATE warnings AS w
SET grade = c.grade, detail = c.detail, last_seen = $now
FROM incoming_conditions c
WHERE w.resolved_at IS NULL AND c.rule = w.rule AND c.subject = w.subject
  AND (w.grade <> c.grade OR w.detail IS DISTINCT FROM c.detail)
