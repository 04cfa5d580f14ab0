-- values_0
-- :limit = 100001
SELECT DISTINCT `cjm_channel` AS v FROM cjm_src WHERE `cjm_channel` IS NOT NULL LIMIT :limit;

-- values_1
-- :limit = 100001
SELECT DISTINCT `concept:instance` AS v FROM cjm_src WHERE `concept:instance` IS NOT NULL LIMIT :limit;

-- values_2
-- :limit = 100001
SELECT DISTINCT `org:resource` AS v FROM cjm_src WHERE `org:resource` IS NOT NULL LIMIT :limit;

-- setup
-- :p0 = "Confirmation of receipt"
-- :p1 = ["Group 1","Group 4"]
-- :p2 = "Confirmation of receipt"
-- :p3 = "T02 Check confirmation of receipt"
-- :p4 = "T03 Adjust confirmation of receipt"
-- :p5 = "Internet"
-- :p6 = "T02 Check confirmation of receipt"
-- :p7 = "task-5"
-- :p8 = ["task-7","x"]
-- :p9 = "T04 Determine confirmation of receipt"
-- :p10 = "T05"
-- :p11 = "T07"
-- :p12 = "T05 Print and send confirmation of receipt"
-- :p13 = ["1","Resource21","true","TRUE","1.0"]
CACHE TABLE cjm_ev AS
SELECT cjm_row AS rid, cjm_customer AS c, unix_micros(cjm_time) AS t,
       cjm_touchpoint AS a, cjm_channel AS ch, cjm_score AS s,
       array(coalesce(`cjm_touchpoint` = :p0, false),
             (coalesce(array_contains(:p1, `org:group`), false) AND (NOT coalesce(`cjm_touchpoint` = :p2, false))),
             (coalesce(`cjm_touchpoint` = :p3, false) OR coalesce(`cjm_touchpoint` = :p4, false)),
             (coalesce(`cjm_channel` = :p5, false) AND (NOT coalesce(`cjm_touchpoint` = :p6, false))),
             (coalesce(`concept:instance` > :p7, false) AND coalesce(array_contains(:p8, `concept:instance`), true)),
             coalesce(`cjm_touchpoint` = :p9, false),
             (coalesce(`cjm_touchpoint` >= :p10, false) AND coalesce(`cjm_touchpoint` < :p11, false)),
             coalesce(`cjm_touchpoint` = :p12, false),
             coalesce(array_contains(:p13, `org:resource`), false)) AS m
FROM cjm_src;

-- setup
CACHE TABLE cjm_seq AS
SELECT c, a, t, ch, s, m, row_number() OVER w AS pos, lag(a) OVER w AS pa
FROM cjm_ev
WINDOW w AS (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC);

-- setup
CACHE TABLE cjm_journeys AS
SELECT c, transform(array_sort(collect_list(struct(pos, t, ch, s, m))),
                    x -> named_struct('t', x.t, 'ch', x.ch, 's', x.s, 'm', x.m)) AS ev
FROM cjm_seq GROUP BY c;

-- setup
CACHE TABLE cjm_firsts AS
SELECT c, ev, transform(sequence(1, 9), k -> CAST(array_position(transform(ev, x -> element_at(x.m, k)), true) AS INT)) AS p
FROM cjm_journeys;

-- totals
SELECT count(*) AS events, count(DISTINCT c) AS customers FROM cjm_ev;

-- touchpoints
SELECT a AS touchpoint, count(*) AS events, count(DISTINCT c) AS customers,
       bool_or(exists(m, x -> x)) AS matched
FROM cjm_ev GROUP BY a;

-- edges
SELECT pa AS from_touchpoint, a AS to_touchpoint, count(*) AS n FROM cjm_seq WHERE pos > 1 GROUP BY pa, a;

-- score_range
SELECT min(s) AS lo, max(s) AS hi FROM cjm_ev;

-- matched
SELECT i, count(*) AS n FROM cjm_ev LATERAL VIEW posexplode(m) AS i, hit WHERE hit GROUP BY i;

-- step_scores
SELECT i, s AS score, count(*) AS n FROM cjm_ev LATERAL VIEW posexplode(m) AS i, hit
WHERE hit AND s IS NOT NULL GROUP BY i, s;

-- reached
SELECT i, count(*) AS n FROM cjm_firsts LATERAL VIEW posexplode(p) AS i, at WHERE at > 0 GROUP BY i;

-- since_previous
WITH d AS (
  SELECT i, d AS d, count(*) AS cnt FROM (SELECT i, d FROM cjm_firsts
  LATERAL VIEW posexplode(transform(sequence(1, 8), i -> IF(element_at(p, i + 1) > 0, element_at(ev, element_at(p, i + 1)).t, NULL) - IF(element_at(p, i) > 0, element_at(ev, element_at(p, i)).t, NULL))) AS i, d
  WHERE d >= 0) AS deltas GROUP BY i, d),
cum AS (
  SELECT i, d, cnt,
         sum(cnt) OVER (PARTITION BY i ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(cnt) OVER (PARTITION BY i) AS n
  FROM d)
SELECT i AS i, n, sum(CAST(d AS DECIMAL(38,0)) * cnt) AS total,
       min(d) AS min_d, max(d) AS max_d,
       min(IF(upto >= (n + 1) DIV 2, d, NULL)) AS lo,
       min(IF(upto >= n DIV 2 + 1, d, NULL)) AS hi,
       min(IF(upto >= (9 * n + 9) DIV 10, d, NULL)) AS p90
FROM cum GROUP BY i, n;

-- funnel
-- :window = 172800000000
SELECT done, count(*) AS n FROM (
  SELECT aggregate(ev, named_struct('done', 0, 'start', CAST(NULL AS BIGINT)), (st, x) -> CASE
    WHEN st.done >= 7 THEN st
    WHEN NOT element_at(x.m, element_at(array(1, 3, 5, 6, 7, 8, 9), st.done + 1)) THEN st
    WHEN st.done > 0 AND x.t IS NOT NULL AND st.start IS NOT NULL AND x.t - st.start > :window THEN st
    ELSE named_struct('done', st.done + 1, 'start', IF(st.done = 0, x.t, st.start)) END).done AS done
  FROM cjm_journeys)
GROUP BY done;

-- stages
SELECT i, count(*) AS n FROM cjm_firsts LATERAL VIEW posexplode(array(element_at(p, 1) > 0 AND element_at(p, 2) > 0, element_at(p, 3) > 0 AND element_at(p, 7) > 0, element_at(p, 8) > 0 AND element_at(p, 9) > 0)) AS i, both WHERE both GROUP BY i;

-- kpi_1
SELECT count_if(y IS NOT NULL) AS whole,
       count_if(y IS NOT NULL AND x.ch IS NOT NULL AND y.ch IS NOT NULL AND x.ch != y.ch) AS part FROM (SELECT element_at(ev, pa) AS x, IF(rel > 0, element_at(ev, pa + rel), NULL) AS y FROM (
    SELECT ev, pa, CAST(array_position(transform(slice(ev, pa + 1, size(ev)), x -> element_at(x.m, 8)), true) AS INT) AS rel
    FROM (SELECT ev, element_at(p, 1) AS pa FROM cjm_firsts) WHERE pa > 0)) AS pairs;

-- kpi_2
WITH d AS (
  SELECT g, d AS d, count(*) AS cnt FROM (SELECT 0 AS g, y.t - x.t AS d FROM (SELECT element_at(ev, pa) AS x, IF(rel > 0, element_at(ev, pa + rel), NULL) AS y FROM (
    SELECT ev, pa, CAST(array_position(transform(slice(ev, pa + 1, size(ev)), x -> element_at(x.m, 6)), true) AS INT) AS rel
    FROM (SELECT ev, element_at(p, 1) AS pa FROM cjm_firsts) WHERE pa > 0)) AS pairs WHERE y IS NOT NULL AND x.t IS NOT NULL AND y.t IS NOT NULL) AS timed GROUP BY g, d),
cum AS (
  SELECT g, d, cnt,
         sum(cnt) OVER (PARTITION BY g ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(cnt) OVER (PARTITION BY g) AS n
  FROM d)
SELECT g AS g, n, sum(CAST(d AS DECIMAL(38,0)) * cnt) AS total,
       min(d) AS min_d, max(d) AS max_d,
       min(IF(upto >= (n + 1) DIV 2, d, NULL)) AS lo,
       min(IF(upto >= n DIV 2 + 1, d, NULL)) AS hi,
       min(IF(upto >= (9 * n + 9) DIV 10, d, NULL)) AS p90
FROM cum GROUP BY g, n;

-- kpi_3
WITH d AS (
  SELECT g, d AS d, count(*) AS cnt FROM (SELECT 0 AS g, y.t - x.t AS d FROM (SELECT element_at(ev, pa) AS x, IF(rel > 0, element_at(ev, pa + rel), NULL) AS y FROM (
    SELECT ev, pa, CAST(array_position(transform(slice(ev, pa + 1, size(ev)), x -> element_at(x.m, 6)), true) AS INT) AS rel
    FROM (SELECT ev, element_at(p, 3) AS pa FROM cjm_firsts) WHERE pa > 0)) AS pairs WHERE y IS NOT NULL AND x.t IS NOT NULL AND y.t IS NOT NULL) AS timed GROUP BY g, d),
cum AS (
  SELECT g, d, cnt,
         sum(cnt) OVER (PARTITION BY g ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(cnt) OVER (PARTITION BY g) AS n
  FROM d)
SELECT g AS g, n, sum(CAST(d AS DECIMAL(38,0)) * cnt) AS total,
       min(d) AS min_d, max(d) AS max_d,
       min(IF(upto >= (n + 1) DIV 2, d, NULL)) AS lo,
       min(IF(upto >= n DIV 2 + 1, d, NULL)) AS hi,
       min(IF(upto >= (9 * n + 9) DIV 10, d, NULL)) AS p90
FROM cum GROUP BY g, n;

-- kpi_4
SELECT count(*) AS whole, count_if(y IS NOT NULL) AS part FROM (SELECT element_at(ev, pa) AS x, IF(rel > 0, element_at(ev, pa + rel), NULL) AS y FROM (
    SELECT ev, pa, CAST(array_position(transform(slice(ev, pa + 1, size(ev)), x -> element_at(x.m, 8)), true) AS INT) AS rel
    FROM (SELECT ev, element_at(p, 1) AS pa FROM cjm_firsts) WHERE pa > 0)) AS pairs;

-- teardown
DROP VIEW IF EXISTS cjm_firsts;

-- teardown
DROP VIEW IF EXISTS cjm_journeys;

-- teardown
DROP VIEW IF EXISTS cjm_seq;

-- teardown
DROP VIEW IF EXISTS cjm_ev;

