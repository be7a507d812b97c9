-- Open warnings whose condition now holds at another grade: escalated (黄 → 红) or deescalated (红 → 黄).
SELECT w.id, c.rule, c.subject, c.unit_code, c.grade, w.since, c.detail,
       CASE WHEN c.grade = 'red' THEN 'escalated' ELSE 'deescalated' END AS change
FROM warnings w
JOIN incoming_conditions c ON c.rule = w.rule AND c.subject = w.subject
WHERE w.resolved_at IS NULL AND w.grade <> c.grade
