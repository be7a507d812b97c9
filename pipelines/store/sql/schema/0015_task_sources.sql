-- 督办 sources (issue 16, DOMAIN §10). A task issued from several open warnings names each of them here (its
-- issue action keeps the first in source_rule/source_subject), so 督办中心 can show whether each is still open.
CREATE TABLE task_warnings (
    task_code   VARCHAR NOT NULL,
    rule        VARCHAR NOT NULL,
    subject     VARCHAR NOT NULL,
    PRIMARY KEY (task_code, rule, subject)
);

-- 问题清单: an admin marks a project's 存在问题 of a report month 已知悉 (seen, no task needed); one row per
-- (project, month), the latest mark standing. The problems themselves stay in the snapshots.
CREATE TABLE issue_acknowledgements (
    project_code     VARCHAR NOT NULL,
    period           DATE NOT NULL,
    acknowledged_by  VARCHAR NOT NULL,
    acknowledged_at  TIMESTAMP NOT NULL,
    note             VARCHAR,
    PRIMARY KEY (project_code, period)
);
