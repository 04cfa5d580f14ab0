-- Logs attached in place from the server's log folder (`cjm serve --logs
-- DIR`): `stored_as` is then the file's path inside that folder, and the
-- file is the administrator's: removing the log never deletes it.
ALTER TABLE evidence ADD COLUMN in_folder INTEGER NOT NULL DEFAULT 0;
