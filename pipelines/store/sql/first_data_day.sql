-- The first day anything about projects was known: the earliest receipt of a snapshot (NULL in an empty store).
SELECT CAST(min(received_at) AS DATE) AS first_day FROM snapshots
