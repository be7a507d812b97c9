-- Macros every query builds on; replaced on each connect by store.migrate, so they always match this file.
-- The as-of rule of DOMAIN §4 lives here and nowhere else.

-- Report months as integers (year · 12 + month − 1), so that months can be ordered, counted and used as bit
-- positions.
CREATE OR REPLACE MACRO month_number(d) AS year(d) * 12 + month(d) - 1;

-- The snapshots received by the end of day d, each with its row id (row_id): a query that picks rows with an
-- aggregate fetches them back by row id, which costs next to nothing, instead of carrying every column along.
CREATE OR REPLACE MACRO received_by(d) AS TABLE
    SELECT rowid AS row_id, * FROM snapshots WHERE received_at < CAST(d AS DATE) + INTERVAL 1 DAY;

-- Aggregate over one project's snapshots: the row_id of the one that counts — the latest report period, among
-- equals the latest received, then the later submission. The three keys are packed into one HUGEINT
-- (month · 2^84 + microseconds · 2^31 + submission id; each part fits its field) because arg_max over a
-- single number is several times faster than a window or a struct key over millions of snapshots.
CREATE OR REPLACE MACRO latest_row_id(row_id, period, received_at, submission_id) AS
    arg_max(row_id, CAST(month_number(period) AS HUGEINT) * 19342813113834066795298816
                    + CAST(epoch_us(received_at) AS HUGEINT) * 2147483648
                    + submission_id);

-- Submissions superseded by the end of day d: a later file for the same unit and report month replaces the
-- earlier one in the as-of state (a project it leaves out drops back to its previous report), while history
-- keeps both. The duty still counts a superseded file's arrival: it was an update, sent when it was sent.
-- Files covering several units or months (admin back-fills) neither supersede nor are superseded.
CREATE OR REPLACE MACRO superseded_by(d) AS TABLE
    SELECT id AS submission_id FROM submissions
    WHERE kind = 'projects' AND status = 'loaded' AND unit_code IS NOT NULL AND period IS NOT NULL
      AND received_at < CAST(d AS DATE) + INTERVAL 1 DAY
    QUALIFY row_number() OVER (PARTITION BY unit_code, period ORDER BY received_at DESC, id DESC) > 1;

-- Per project, the snapshot known at the end of day d (superseded files left out).
CREATE OR REPLACE MACRO latest_snapshots(d) AS TABLE
    SELECT * FROM snapshots
    WHERE rowid IN (
        SELECT latest_row_id(row_id, period, received_at, submission_id) FROM received_by(d)
        WHERE submission_id NOT IN (SELECT submission_id FROM superseded_by(d))
        GROUP BY project_id
    );

-- The bitmask of months first … last (bit n = the n-th month of a window of at most 60; 0 when first > last).
CREATE OR REPLACE MACRO month_bits(first, last) AS
    CASE WHEN first > last THEN CAST(0 AS BIGINT)
         ELSE ((CAST(1 AS BIGINT) << (last - first + 1)) - 1) << first END;
