-- setup
CREATE OR REPLACE TEMP VIEW cjm_ev AS
SELECT cjm_row AS rid, cjm_customer AS c, unix_micros(cjm_time) AS t,
       cjm_touchpoint AS a, cjm_channel AS ch, cjm_score AS s
FROM cjm_src;

-- setup
CACHE TABLE cjm_seq AS
SELECT c, a, t, rid, s,
       row_number() OVER w AS pos, lag(a) OVER w AS pa, lag(t) OVER w AS pt, lead(a) OVER w AS na
FROM cjm_ev
WINDOW w AS (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC);

-- setup
CACHE TABLE cjm_journeys AS
SELECT c, transform(array_sort(collect_list(struct(pos, a))), x -> x.a) AS seq
FROM cjm_seq GROUP BY c;

-- totals
SELECT count(*) AS events, count(DISTINCT c) AS customers FROM cjm_seq;

-- edges
SELECT pa AS from_touchpoint, a AS to_touchpoint, count(*) AS n,
       count(t - pt) AS timed, sum(CAST(t - pt AS DECIMAL(38,0))) AS micros
FROM cjm_seq WHERE pos > 1 GROUP BY pa, a;

-- starts
SELECT a AS touchpoint, count(*) AS n FROM cjm_seq WHERE pos = 1 GROUP BY a;

-- ends
SELECT a AS touchpoint, count(*) AS n FROM cjm_seq WHERE na IS NULL GROUP BY a;

-- variant_count
SELECT count(DISTINCT seq) AS n FROM cjm_journeys;

-- top_variants
-- :top = 20
SELECT seq, count(*) AS n FROM cjm_journeys GROUP BY seq ORDER BY n DESC, seq ASC LIMIT :top;

-- touchpoints
SELECT a AS touchpoint, count(*) AS events, count(DISTINCT c) AS customers, count(s) AS scored
FROM cjm_seq GROUP BY a;

-- scores
SELECT a AS touchpoint, s AS score, count(*) AS n FROM cjm_seq WHERE s IS NOT NULL GROUP BY a, s;

-- edge_times
WITH d AS (
  SELECT pa, a, t - pt AS d, count(*) AS cnt FROM cjm_seq WHERE pos > 1 AND t IS NOT NULL AND pt IS NOT NULL GROUP BY pa, a, t - pt),
cum AS (
  SELECT pa, a, d, cnt,
         sum(cnt) OVER (PARTITION BY pa, a ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(cnt) OVER (PARTITION BY pa, a) AS n
  FROM d)
SELECT pa AS from_touchpoint, a AS to_touchpoint, n, sum(CAST(d AS DECIMAL(38,0)) * cnt) AS total,
       min(d) AS min_d, max(d) AS max_d,
       min(IF(upto >= (n + 1) DIV 2, d, NULL)) AS lo,
       min(IF(upto >= n DIV 2 + 1, d, NULL)) AS hi,
       min(IF(upto >= (9 * n + 9) DIV 10, d, NULL)) AS p90
FROM cum GROUP BY pa, a, n;

-- funnel
-- :n = 3
-- :steps = ["product_page","add_to_cart","payment"]
SELECT lvl, count(*) AS n FROM (
  SELECT aggregate(seq, 0, (k, x) -> CASE WHEN k >= :n THEN k WHEN x = element_at(:steps, k + 1) THEN k + 1 ELSE k END) AS lvl
  FROM cjm_journeys)
WHERE lvl > 0 GROUP BY lvl;

-- teardown
DROP VIEW IF EXISTS cjm_journeys;

-- teardown
DROP VIEW IF EXISTS cjm_seq;

-- teardown
DROP VIEW IF EXISTS cjm_ev;

