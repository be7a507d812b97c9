-- What a day's as-of state depends on in the store: the latest submission received by the end of $day, or of any
-- unit register (one received later still regroups the day's projects); 0 when there is none. A file received
-- after $day leaves the day's state as it was (pipelines.store.timeline recomputes from a file's received day on, and
-- the update duty judges only months already due), so it leaves this number as it was too.
SELECT coalesce(max(id), 0) AS day_version
FROM submissions
WHERE received_at < CAST($day AS DATE) + INTERVAL 1 DAY OR kind = 'units'
