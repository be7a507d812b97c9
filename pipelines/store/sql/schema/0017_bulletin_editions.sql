-- The editions of the monthly 通报 (issue 18): each produced edition is kept as it was sent — its 期号 within the
-- year it is dated in, the report month and knowledge day it was made for, who produced it and when, the texts of
-- 四、存在问题 and 五、下步工作 as the admin left them, and the Word and Excel files themselves, so that downloading it
-- again gives the same bytes whatever the data has become since.
CREATE TABLE bulletin_editions (
    year            INTEGER NOT NULL,
    number          INTEGER NOT NULL CHECK (number >= 1),
    period          DATE NOT NULL,
    known_by        DATE NOT NULL,
    problems_text   VARCHAR NOT NULL,
    next_steps_text VARCHAR NOT NULL,
    docx            BLOB NOT NULL,
    xlsx            BLOB NOT NULL,
    produced_by     VARCHAR NOT NULL,
    produced_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (year, number)
);
