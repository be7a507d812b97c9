-- alerts.centre.scheduler_state: the background jobs' run log — the latest $runs runs, the latest run of each job
-- and the latest failed run, newest first, each marked with which of these it is.
WITH ranked AS (
    SELECT *,
           row_number() OVER (ORDER BY started_at DESC, id DESC) <= $runs AS recent,
           row_number() OVER (PARTITION BY job_id ORDER BY started_at DESC, id DESC) = 1 AS latest_of_job,
           outcome = 'failed'
               AND row_number() OVER (PARTITION BY outcome ORDER BY started_at DESC, id DESC) = 1 AS latest_failure
    FROM scheduler_runs
)
SELECT id, scheduler_id, job_id, started_at, finished_at, outcome, as_of, counts, error,
       recent, latest_of_job, latest_failure
FROM ranked
WHERE recent OR latest_of_job OR latest_failure
ORDER BY started_at DESC, id DESC
