-- The unit register: every unit with its kind and assessment group.
SELECT code, name, kind, assess_group FROM units ORDER BY assess_group, code
