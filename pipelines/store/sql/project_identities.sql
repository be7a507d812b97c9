-- Every project's code, first unit and name key, for matching incoming rows to projects.
SELECT id, code, unit_code, name_key FROM projects
