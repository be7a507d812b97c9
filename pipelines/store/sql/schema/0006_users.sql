-- Users and their sessions (issue 5). Passwords are stored only as argon2id hashes, session tokens only as
-- SHA-256 digests: a copy of the database lets no one log in. Logins, failures, locks and logouts go to audit_log.
CREATE TABLE users (
    username      VARCHAR PRIMARY KEY,     -- login name, lower case (unit accounts of the demo: u01, u02 …)
    display_name  VARCHAR NOT NULL,        -- what screens show, e.g. 王丽 or 城东街道填报员
    role          VARCHAR NOT NULL CHECK (role IN ('admin', 'leader', 'unit')),
    unit_code     VARCHAR,                 -- the one unit of a 'unit' user; NULL for the other roles
    password_hash VARCHAR NOT NULL,        -- argon2id, with its parameters and salt
    demo          BOOLEAN NOT NULL,        -- its password is the published demo password (listed on the login page)
    failed_logins INTEGER NOT NULL,        -- consecutive failed logins since the last success or lock
    locked_until  TIMESTAMP,               -- no login before this moment (set after too many failures)
    disabled_at   TIMESTAMP,               -- set by an admin: no login, no session, until enabled again
    last_login_at TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CHECK ((role = 'unit') = (unit_code IS NOT NULL))
);

CREATE TABLE sessions (
    token_hash    VARCHAR PRIMARY KEY,     -- SHA-256 (hex) of the token in the browser's cookie
    username      VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,      -- the login: the session ends auth.session_absolute_hours after it
    last_seen_at  TIMESTAMP NOT NULL       -- last use (updated at most once a minute): ends auth.session_idle_hours after it
);
CREATE INDEX sessions_user ON sessions (username);
