-- Logs on Apache Spark (`cjm serve --spark sc://HOST:PORT`): `stored_as`
-- is `table:NAME` or `path:URI`, what the cluster reads; no file is kept.
ALTER TABLE evidence ADD COLUMN on_spark INTEGER NOT NULL DEFAULT 0;
