-- 一票否优: an admin marks a unit that may not be rated 优秀 for a year (DOMAIN §7).
CREATE TABLE veto_flags (
    year      INTEGER NOT NULL,
    unit_code VARCHAR NOT NULL,
    note      VARCHAR,
    set_by    VARCHAR NOT NULL,
    set_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (year, unit_code)
);
