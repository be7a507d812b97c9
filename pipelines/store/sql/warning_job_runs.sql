-- alerts.centre.scheduler_state: the background jobs' run log — the latest $runs runs, the latest run of each job
-- and the latest failed run, newest first, each marked with which of these it is; `recovered` (on the latest
-- failure): a later run of the same job went well (one still running, or killed with its process, does not count).
WITH ranked AS (
    SELECT *,
           row_number() OVER (ORDER BY started_at DESC, id DESC) <= $runs AS recent,
           row_number() OVER (PARTITION BY job_id ORDER BY started_at DESC, id DESC) = 1 AS latest_of_job,
           outcome = 'failed'
               AND row_number() OVER (PARTITION BY outcome ORDER BY started_at DESC, id DESC) = 1 AS latest_failure
    FROM scheduler_runs
)
SELECT id, scheduler_id, job_id, started_at, finished_at, outcome, as_of, counts, error,
       recent, latest_of_job, latest_failure,
       latest_failure AND EXISTS (SELECT 1 FROM scheduler_runs later
                                  WHERE later.job_id = ranked.job_id AND later.outcome = 'ok'
                                    AND (later.started_at, later.id) > (ranked.started_at, ranked.id)) AS recovered
FROM ranked
WHERE recent OR latest_of_job OR latest_failure
ORDER BY started_at DESC, id DESC
