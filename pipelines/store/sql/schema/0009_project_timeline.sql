-- The as-of state of DOMAIN §4 kept as a timeline (pipelines/timeline.py keeps it; every writer of snapshots
-- calls it): for each project, its state over spans of as-of days. A state holds from the end of `valid_from`
-- up to, not including, the end of `valid_until`. The columns are those the figures read: the snapshot in
-- force (its `submission_id`: a file holds one row per project) with its unit, report month, industry,
-- 计划总投资, status and milestone dates, and the texts pages show (name, investor, 统一社会信用代码, 计划开工日期);
-- the earliest and latest month any snapshot received so far reports (superseded files
-- count: they arrived); the first month reported 终止 in a file still in force.
--
-- Closed spans and current states live apart so that the rows in force on a day lie together: closed spans
-- are appended as they close, in the order of `valid_until`, so the day's rows are the few row groups just past
-- it (zone maps skip the rest), and the current states are one small table.
CREATE TABLE project_spans (
    project_id          INTEGER NOT NULL,
    valid_from          DATE NOT NULL,
    valid_until         DATE NOT NULL,
    submission_id       INTEGER NOT NULL,
    first_period        DATE NOT NULL,
    reported_until      DATE NOT NULL,
    terminated_period   DATE,
    unit_code           VARCHAR NOT NULL,
    period              DATE NOT NULL,
    industry            VARCHAR NOT NULL,
    total_investment_wan DOUBLE NOT NULL,
    status              VARCHAR NOT NULL,
    lead_date           DATE,
    evaluated_date      DATE,
    approved_date       DATE,
    signed_date         DATE,
    commenced_date      DATE,
    in_stats_date       DATE,
    completed_date      DATE,
    production_date     DATE,
    project_name        VARCHAR NOT NULL,
    investor            VARCHAR,
    investor_uscc       VARCHAR,
    planned_start_date  DATE
);

CREATE TABLE project_current (
    project_id          INTEGER NOT NULL,
    valid_from          DATE NOT NULL,
    submission_id       INTEGER NOT NULL,
    first_period        DATE NOT NULL,
    reported_until      DATE NOT NULL,
    terminated_period   DATE,
    unit_code           VARCHAR NOT NULL,
    period              DATE NOT NULL,
    industry            VARCHAR NOT NULL,
    total_investment_wan DOUBLE NOT NULL,
    status              VARCHAR NOT NULL,
    lead_date           DATE,
    evaluated_date      DATE,
    approved_date       DATE,
    signed_date         DATE,
    commenced_date      DATE,
    in_stats_date       DATE,
    completed_date      DATE,
    production_date     DATE,
    project_name        VARCHAR NOT NULL,
    investor            VARCHAR,
    investor_uscc       VARCHAR,
    planned_start_date  DATE
);

-- The update duty's arrivals (DOMAIN §6), which do not depend on the as-of day: for each project and year from
-- its earliest to its latest reported month, per month (m01 January … m12 December) the day the first snapshot
-- reporting that month or a later one arrived (NULL: none yet). A month's update was on time when that day is
-- on or before its due day. One column per month, not a list: the figures compare all of them on every read.
CREATE TABLE project_cover (
    project_id  INTEGER NOT NULL,
    year        INTEGER NOT NULL,
    m01 DATE, m02 DATE, m03 DATE, m04 DATE, m05 DATE, m06 DATE,
    m07 DATE, m08 DATE, m09 DATE, m10 DATE, m11 DATE, m12 DATE
);
