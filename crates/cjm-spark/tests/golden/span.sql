-- setup
-- :from = 1709251200000000
-- :values = ["web"]
-- :values_1 = ["gold"]
CREATE OR REPLACE TEMP VIEW cjm_base AS
SELECT cjm_row AS rid, cjm_customer AS c, unix_micros(cjm_time) AS t,
       cjm_touchpoint AS a, cjm_channel AS ch, cjm_score AS s, `case:segment` AS bv
FROM cjm_src
WHERE unix_micros(cjm_time) >= :from
  AND array_contains(:values, `cjm_channel`)
  AND array_contains(:values_1, `case:segment`);

-- setup
-- :cover_num = 8
-- :cover_den = 10
CREATE OR REPLACE TEMP VIEW cjm_cover AS
WITH p AS (
  SELECT c, a, row_number() OVER (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC) AS pos FROM cjm_base),
j AS (
  SELECT c, transform(array_sort(collect_list(struct(pos, a))), x -> x.a) AS seq FROM p GROUP BY c),
v AS (
  SELECT seq, count(*) AS n FROM j GROUP BY seq),
r AS (
  SELECT seq,
         coalesce(sum(n) OVER (ORDER BY n DESC, seq ASC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before,
         sum(n) OVER () AS total
  FROM v)
SELECT * FROM cjm_base WHERE c IN (
  SELECT j.c FROM j JOIN r ON j.seq = r.seq
  WHERE CAST(r.before AS DECIMAL(38,0)) * :cover_den < CAST(:cover_num AS DECIMAL(38,0)) * r.total);

-- setup
-- :by = "gold"
CREATE OR REPLACE TEMP VIEW cjm_by AS
SELECT * FROM cjm_cover WHERE c IN (SELECT c FROM cjm_cover WHERE bv = :by);

-- setup
-- :variant = ["visit","pay"]
CREATE OR REPLACE TEMP VIEW cjm_ev AS
WITH p AS (
  SELECT c, a, row_number() OVER (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC) AS pos FROM cjm_by),
j AS (
  SELECT c, transform(array_sort(collect_list(struct(pos, a))), x -> x.a) AS seq FROM p GROUP BY c)
SELECT * FROM cjm_by WHERE c IN (SELECT c FROM j WHERE seq = :variant);

-- span
SELECT min(t) AS lo, max(t) AS hi FROM cjm_ev;

-- teardown
DROP VIEW IF EXISTS cjm_ev;

-- teardown
DROP VIEW IF EXISTS cjm_by;

-- teardown
DROP VIEW IF EXISTS cjm_cover;

-- teardown
DROP VIEW IF EXISTS cjm_base;

