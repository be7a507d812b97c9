-- API tokens (issue 6): what a program sends as `Authorization: Bearer zsk_…` to act as a user over the HTTP API.
-- Created and revoked by admins; the token itself is shown once and stored only as its SHA-256 digest.
-- A token acts with its user's current role and unit; it stops working when revoked, expired or the user disabled.
CREATE SEQUENCE api_token_ids START 1;

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY DEFAULT nextval('api_token_ids'),
    username      VARCHAR NOT NULL,        -- the user the token acts as (users.username)
    label         VARCHAR NOT NULL,        -- what it is for, e.g. 城东街道报送脚本
    token_hash    VARCHAR NOT NULL UNIQUE, -- SHA-256 (hex) of the whole token
    shown         VARCHAR NOT NULL,        -- its first characters (zsk_ and four more), to tell tokens apart in lists
    created_at    TIMESTAMP NOT NULL,
    created_by    VARCHAR NOT NULL,        -- the admin who created it
    expires_at    TIMESTAMP,               -- refused from this moment on; NULL: until revoked
    last_used_at  TIMESTAMP,               -- last accepted use (updated at most once a minute)
    revoked_at    TIMESTAMP,
    revoked_by    VARCHAR
);
