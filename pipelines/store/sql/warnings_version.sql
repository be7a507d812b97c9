-- What changes whenever an evaluation or an acknowledgement touches the warnings (every evaluation refreshes
-- last_seen; every opening, change of grade, resolution and acknowledgement adds an event): it keys the
-- cached warnings of the screens, which change without any new data.
SELECT (SELECT count(*) FROM warning_events) AS events, (SELECT max(last_seen) FROM warnings) AS last_seen
