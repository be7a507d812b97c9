-- Macros every query builds on; replaced on each connect by store.migrate, so they always match this file.
-- The as-of rule of DOMAIN §4 lives here (which snapshots count by a day, which take precedence, which files
-- are superseded) and in pipelines/store/sql/timeline_spans.sql, which applies it to every day a state changes.

-- Report months as integers (year · 12 + month − 1), so that months can be ordered, counted and used as bit
-- positions.
CREATE OR REPLACE MACRO month_number(d) AS year(d) * 12 + month(d) - 1;

-- The snapshots received by the end of day d, each with its row id (row_id): a query that picks rows with an
-- aggregate fetches them back by row id, which costs next to nothing, instead of carrying every column along.
CREATE OR REPLACE MACRO received_by(d) AS TABLE
    SELECT rowid AS row_id, * FROM snapshots WHERE received_at < CAST(d AS DATE) + INTERVAL 1 DAY;

-- The order in which a project's snapshots take precedence (DOMAIN §4): the latest report period, among equals
-- the latest received, then the later submission; the one in force is the arg_max of this key. The three keys
-- are packed into one HUGEINT (month · 2^84 + microseconds · 2^31 + submission id; each part fits its field)
-- because arg_max over a single number is several times faster than a window or a struct key.
CREATE OR REPLACE MACRO precedence(period, received_at, submission_id) AS
    CAST(month_number(period) AS HUGEINT) * 19342813113834066795298816
    + CAST(epoch_us(received_at) AS HUGEINT) * 2147483648
    + submission_id;

-- When each file stopped counting for the state (DOMAIN §3): a second file for the same unit and report month
-- amends the first (its rows take precedence for the projects they list, the macro precedence), unless it was
-- sent as a replacement (整表替换, listed in `replacements`): then every earlier file of that unit and month stops
-- counting when it arrives (a project it leaves out drops back to its previous report), while history keeps
-- both. `superseded_at` is when the first later replacement was received (NULL: never). The duty still counts
-- a superseded file's arrival: it was an update, sent when it was sent. Files covering several units or months
-- (admin back-fills) neither supersede nor are superseded.
CREATE OR REPLACE MACRO supersessions() AS TABLE
    WITH files AS (
        SELECT s.id, s.unit_code, s.period, s.received_at, r.submission_id IS NOT NULL AS replaces
        FROM submissions s LEFT JOIN replacements r ON r.submission_id = s.id
        WHERE s.kind = 'projects' AND s.status = 'loaded' AND s.unit_code IS NOT NULL AND s.period IS NOT NULL
    )
    SELECT f.id AS submission_id, min(n.received_at) AS superseded_at
    FROM files f
    LEFT JOIN files n ON n.replaces AND n.unit_code = f.unit_code AND n.period = f.period
                      AND (n.received_at > f.received_at OR (n.received_at = f.received_at AND n.id > f.id))
    GROUP BY f.id;

-- Submissions superseded by the end of day d.
CREATE OR REPLACE MACRO superseded_by(d) AS TABLE
    SELECT submission_id FROM supersessions() WHERE superseded_at < CAST(d AS DATE) + INTERVAL 1 DAY;

-- Per project, its state at the end of day d from the timeline (pipelines/store/timeline.py): one row per project with
-- a snapshot in force by then, with the columns of project_current.
CREATE OR REPLACE MACRO state_at(d) AS TABLE
    SELECT * EXCLUDE (valid_until) FROM project_spans
    WHERE valid_from <= CAST(d AS DATE) AND valid_until > CAST(d AS DATE)
    UNION ALL BY NAME
    SELECT * FROM project_current WHERE valid_from <= CAST(d AS DATE);

-- Per project, the snapshot in force at the end of day d (DOMAIN §4), every column.
CREATE OR REPLACE MACRO latest_snapshots(d) AS TABLE
    SELECT s.* FROM snapshots s SEMI JOIN state_at(d) t ON t.project_id = s.project_id AND t.submission_id = s.submission_id;

-- The last day on which the update for month m (1–12) of year y is on time: day due_day of the next month.
CREATE OR REPLACE MACRO due_day_of(y, m, due_day) AS make_date(y + m // 12, m % 12 + 1, 1) + (due_day - 1);

-- The bit of month m (1–12) of year y in a bitmask of the months lo … hi (month numbers), 0 outside them.
CREATE OR REPLACE MACRO window_bit(y, m, lo, hi) AS
    CASE WHEN y * 12 + m - 1 BETWEEN lo AND hi THEN CAST(1 AS BIGINT) << (y * 12 + m - 1 - lo)
         ELSE CAST(0 AS BIGINT) END;

-- The bitmask of months first … last (bit n = the n-th month of a window of at most 60; 0 when first > last).
CREATE OR REPLACE MACRO month_bits(first, last) AS
    CASE WHEN first > last THEN CAST(0 AS BIGINT)
         ELSE ((CAST(1 AS BIGINT) << (last - first + 1)) - 1) << first END;
