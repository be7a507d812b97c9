-- The row problems recorded with submission $id, as validation found them: the rejected rows' reasons
-- (severity 'error') first, then the warnings of rows that loaded, each in the order of the file.
SELECT sheet, row_number, column_name, severity, reason
FROM row_problems
WHERE submission_id = $id
ORDER BY severity = 'warning', rowid
