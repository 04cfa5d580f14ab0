-- setup
-- :ws = "\t\n\u000b\f\r                  　"
-- :offset = 7200000000
-- :unread2 = "the attribute `case:startdate` is a bigint column, which cjm on Spark does not read as text; write the log in cjm's canonical layout"
CREATE OR REPLACE TEMP VIEW cjm_read AS
SELECT f.fi * 1099511627776 + x.cjm_ri AS r,
  x.cjm_ri + 1 AS line,
  x.cjm_fp AS fp,
  nullif(btrim(CAST(`case:concept:name` AS STRING), :ws), '') AS c,
  try_subtract(CAST(`time:timestamp` AS BIGINT) div 1000, :offset) AS t,
  nullif(btrim(CAST(`concept:name` AS STRING), :ws), '') AS a,
  nullif(btrim(CAST(`case:channel` AS STRING), :ws), '') AS ch,
  CASE WHEN isnan(CAST(`rating` AS DOUBLE)) THEN NULL ELSE CAST(`rating` AS DOUBLE) END AS s,
  nullif(CAST(`org:group` AS STRING), '') AS v0,
  nullif(CAST(`lifecycle:transition` AS STRING), '') AS v1,
  CASE WHEN `case:startdate` IS NULL THEN NULL ELSE CAST(raise_error(:unread2) AS STRING) END AS v2,
  nullif(CAST(`case:group` AS STRING), '') AS v3,
  nullif(CAST(`case:channel` AS STRING), '') AS v4
FROM cjm_file x JOIN (
  SELECT cjm_fp, row_number() OVER (ORDER BY cjm_fp) - 1 AS fi FROM (SELECT DISTINCT cjm_fp FROM cjm_file)
) f ON x.cjm_fp = f.cjm_fp;

-- setup
-- :kept = "complete"
CREATE OR REPLACE TEMP VIEW cjm_src AS
SELECT r AS cjm_row, c AS cjm_customer, timestamp_micros(t) AS cjm_time, a AS cjm_touchpoint, ch AS cjm_channel, s AS cjm_score, v0 AS `org:group`, v1 AS `lifecycle:transition`, v2 AS `case:startdate`, v3 AS `case:group`, v4 AS `case:channel`, cjm_first
FROM (
  SELECT r,
    c,
    t,
    a,
    ch,
    s,
    cjm_first,
    v0,
    v1,
    min(IF(v2 IS NULL, NULL, named_struct('r', r, 'v', v2))) OVER (PARTITION BY c).v AS v2,
    min(IF(v3 IS NULL, NULL, named_struct('r', r, 'v', v3))) OVER (PARTITION BY c).v AS v3,
    min(IF(v4 IS NULL, NULL, named_struct('r', r, 'v', v4))) OVER (PARTITION BY c).v AS v4
  FROM (SELECT *, min(r) OVER (PARTITION BY c) AS cjm_first FROM cjm_read WHERE c IS NOT NULL)
  WHERE a IS NOT NULL AND t IS NOT NULL
)
WHERE v1 = :kept;

-- stats
SELECT count(*) AS rows, count_if(NOT (c IS NOT NULL AND a IS NOT NULL AND t IS NOT NULL)) AS bad, min_by(v1, r) FILTER (WHERE c IS NOT NULL AND a IS NOT NULL AND t IS NOT NULL AND lower(v1) = 'start') AS start, min_by(v1, r) FILTER (WHERE c IS NOT NULL AND a IS NOT NULL AND t IS NOT NULL AND lower(v1) = 'complete') AS complete, count_if(c IS NOT NULL AND a IS NOT NULL AND t IS NOT NULL AND v1 IS NOT NULL) AS lifecycles,
  min_by(line, r) FILTER (WHERE s = double('Infinity') OR s = double('-Infinity')) AS inf_line, min_by(s, r) FILTER (WHERE s = double('Infinity') OR s = double('-Infinity')) AS inf_score,
  min_by(fp, r) FILTER (WHERE s = double('Infinity') OR s = double('-Infinity')) AS inf_file, count(DISTINCT fp) AS files
FROM cjm_read;

-- problems
-- :named = 5
SELECT line, fp, c IS NULL AS no_c, a IS NULL AS no_a, t IS NULL AS no_t FROM cjm_read
WHERE c IS NULL OR a IS NULL OR t IS NULL ORDER BY r LIMIT :named;

-- kept
-- :kept = "complete"
SELECT count(*) AS n FROM cjm_read WHERE c IS NOT NULL AND a IS NOT NULL AND t IS NOT NULL AND v1 = :kept;

