-- What the store holds, for the health endpoint and the data-age line on pages.
SELECT
    (SELECT max(version) FROM schema_migrations) AS schema_version,
    (SELECT count(*) FROM units) AS units,
    (SELECT count(*) FROM projects) AS projects,
    (SELECT count(*) FROM submissions WHERE status = 'loaded') AS submissions,
    (SELECT max(received_at) FROM submissions WHERE status = 'loaded') AS last_received_at,
    (SELECT coalesce(max(id), 0) FROM submissions) AS data_version
