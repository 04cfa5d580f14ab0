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
-- :by = "gold"
CREATE OR REPLACE TEMP VIEW cjm_ev AS
SELECT * FROM cjm_base WHERE c IN (SELECT c FROM cjm_base WHERE bv = :by);

-- span
SELECT min(t) AS lo, max(t) AS hi FROM cjm_ev;

-- teardown
DROP VIEW IF EXISTS cjm_ev;

-- teardown
DROP VIEW IF EXISTS cjm_base;

