-- The store: units, projects (identity), submissions, append-only snapshots, row problems, targets, audit log.
CREATE SEQUENCE submission_ids START 1;
CREATE SEQUENCE project_ids START 1;
CREATE SEQUENCE audit_ids START 1;

CREATE TABLE units (
    code        VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL UNIQUE,
    kind        VARCHAR NOT NULL,          -- 园区/乡镇街道/部门/专班
    assess_group VARCHAR NOT NULL,         -- 考核组别
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY,
    kind          VARCHAR NOT NULL,        -- projects / units / targets
    file_name     VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,        -- sha256 of the file's bytes
    unit_code     VARCHAR,                 -- the one unit the file reports, NULL when several
    period        DATE,                    -- the one report month (first day), NULL when several
    received_at   TIMESTAMP NOT NULL,      -- when the bureau received it (set explicitly when back-filling)
    submitted_by  VARCHAR NOT NULL,
    rows_loaded   INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    status        VARCHAR NOT NULL,        -- loaded / rejected
    message       VARCHAR,                 -- why a file was rejected whole
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX submissions_hash ON submissions (content_hash);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    code        VARCHAR NOT NULL UNIQUE,
    unit_code   VARCHAR NOT NULL,          -- unit that first reported it
    name_key    VARCHAR NOT NULL,          -- NFKC name without whitespace, for matching rows without a code
    created_by_submission INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE snapshots (
    submission_id   INTEGER NOT NULL,
    project_id      INTEGER NOT NULL,
    sheet           VARCHAR NOT NULL,
    row_number      INTEGER NOT NULL,
    unit_code       VARCHAR NOT NULL,
    period          DATE NOT NULL,         -- first day of the report month
    received_at     TIMESTAMP NOT NULL,    -- copied from the submission: the as-of filter reads only this table
    project_name    VARCHAR NOT NULL,
    investor        VARCHAR,
    investor_uscc   VARCHAR,
    industry        VARCHAR NOT NULL,
    chain           VARCHAR,
    is_foreign      BOOLEAN,
    total_investment_wan DOUBLE NOT NULL,
    fixed_investment_wan DOUBLE,
    foreign_investment_usd_wan DOUBLE,
    land_mu         DOUBLE,
    lead_date       DATE,
    evaluated_date  DATE,
    approved_date   DATE,
    signed_date     DATE,
    commenced_date  DATE,
    in_stats_date   DATE,
    completed_date  DATE,
    production_date DATE,
    planned_start_date DATE,
    status          VARCHAR NOT NULL,      -- active / paused / terminated
    annual_plan_wan DOUBLE,
    invested_to_date_wan DOUBLE,
    funds_in_place_wan DOUBLE,
    progress_note   VARCHAR,
    issues          VARCHAR,
    liaison_leader  VARCHAR,
    contact_name    VARCHAR,
    contact_phone   VARCHAR
);

CREATE TABLE row_problems (
    submission_id INTEGER NOT NULL,
    sheet       VARCHAR,
    row_number  INTEGER,
    column_name VARCHAR,
    severity    VARCHAR NOT NULL,          -- error (row rejected) / warning (row loaded)
    reason      VARCHAR NOT NULL,
    row_values  VARCHAR                    -- the rejected row as JSON, so nothing the unit sent is lost
);

CREATE TABLE targets (
    submission_id INTEGER NOT NULL,
    received_at TIMESTAMP NOT NULL,
    year        INTEGER NOT NULL,
    unit_code   VARCHAR NOT NULL,
    signed_major INTEGER,                  -- 签约亿元以上项目数
    signed_amount_wan DOUBLE,              -- 签约金额, stored in 万元 (the workbook gives 亿元)
    commenced   INTEGER,                   -- 新开工项目数
    production  INTEGER,                   -- 新投产项目数
    major_manufacturing INTEGER            -- 7亿元以上制造业项目数
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    logged_at TIMESTAMP NOT NULL,
    actor   VARCHAR NOT NULL,
    action  VARCHAR NOT NULL,
    subject VARCHAR,
    detail  VARCHAR                        -- JSON
);
