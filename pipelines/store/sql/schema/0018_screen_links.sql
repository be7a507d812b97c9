-- Big-screen links (大屏链接, issue 18): what a wall screen opens to show the 领导驾驶舱 without anyone logging in.
-- Created and revoked by admins; the secret in the link is shown once and stored only as its SHA-256 digest.
-- A link has no expiry: it works until revoked. It shows the county's screen, or one unit's when unit_code is set.
CREATE SEQUENCE screen_link_ids START 1;

CREATE TABLE screen_links (
    id            INTEGER PRIMARY KEY DEFAULT nextval('screen_link_ids'),
    label         VARCHAR NOT NULL,        -- which wall it is for, e.g. 三楼会商室大屏
    unit_code     VARCHAR,                 -- the unit whose screen it shows (units.code); NULL: the county's
    secret_hash   VARCHAR NOT NULL UNIQUE, -- SHA-256 (hex) of the whole secret
    shown         VARCHAR NOT NULL,        -- its first characters (zss_ and four more), to tell links apart in lists
    created_at    TIMESTAMP NOT NULL,
    created_by    VARCHAR NOT NULL,        -- the admin who created it
    last_seen_at  TIMESTAMP,               -- last time a screen showed it (updated at most once every 10 minutes)
    revoked_at    TIMESTAMP,
    revoked_by    VARCHAR
);
