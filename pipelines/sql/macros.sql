-- Macros every query builds on; replaced on each connect by store.migrate, so they always match this file.
-- The as-of rule of DOMAIN §4 lives here and nowhere else.

-- The snapshots received by the end of day d.
CREATE OR REPLACE MACRO received_by(d) AS TABLE
    SELECT * FROM snapshots WHERE received_at < CAST(d AS DATE) + INTERVAL 1 DAY;

-- Per project, the snapshot known at the end of day d: the latest report period among those received by
-- then, and among equals the latest received (then the later submission).
CREATE OR REPLACE MACRO latest_snapshots(d) AS TABLE
    SELECT * FROM received_by(d)
    QUALIFY row_number() OVER (
        PARTITION BY project_id ORDER BY period DESC, received_at DESC, submission_id DESC
    ) = 1;
