-- The run log of the background jobs (issue 4): one row per run of a job, written when it starts and completed
-- when it ends, so a job that dies half-way stays visible as 'running' with no end. 'scheduler' rows record
-- each start of a scheduler, which is how tests and the warning centre see that a process runs only one.
CREATE SEQUENCE scheduler_run_ids START 1;

CREATE TABLE scheduler_runs (
    id           INTEGER PRIMARY KEY DEFAULT nextval('scheduler_run_ids'),
    scheduler_id VARCHAR,                  -- the scheduler instance (random, one per start); NULL when run by hand
    job_id       VARCHAR NOT NULL,         -- evaluate / evaluate_after_load / daily / scheduler
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,                -- NULL while running (or if the process died during the run)
    outcome      VARCHAR NOT NULL CHECK (outcome IN ('running', 'ok', 'failed')),
    as_of        DATE,                     -- the day the rules were evaluated as of
    counts       VARCHAR,                  -- JSON: new / escalated / deescalated / resolved / open / notifications
    error        VARCHAR                   -- the exception, for a failed run
);
CREATE INDEX scheduler_runs_job ON scheduler_runs (job_id, started_at);
