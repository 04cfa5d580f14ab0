-- setup
CREATE OR REPLACE TEMP VIEW cjm_ev AS
SELECT cjm_row AS rid, cjm_customer AS c, unix_micros(cjm_time) AS t,
       cjm_touchpoint AS a, cjm_channel AS ch, cjm_score AS s, cjm_first AS cf, 0 AS cpos
FROM cjm_src;

-- setup
CACHE TABLE cjm_seq AS
SELECT c, a, t, rid, s, ch, cf, cpos,
       row_number() OVER w AS pos, lag(a) OVER w AS pa, lag(t) OVER w AS pt, lead(a) OVER w AS na, lag(ch) OVER w AS pch
FROM cjm_ev
WINDOW w AS (PARTITION BY c ORDER BY t ASC NULLS FIRST, rid ASC);

-- setup
CACHE TABLE cjm_journeys AS
SELECT c, ok, transform(j, x -> x.a) AS seq, transform(j, x -> x.t) AS ts
FROM (SELECT c, array_sort(collect_list(struct(pos, a, t))) AS j, min(struct(cf, cpos)) AS ok FROM cjm_seq GROUP BY c);

-- setup
-- :n = 3
-- :steps = ["product_page","add_to_cart","payment"]
CACHE TABLE cjm_funnel AS
SELECT c, ok, m.k AS k, m.h AS h FROM (
  SELECT c, ok, aggregate(sequence(1, size(seq)), named_struct('k', 0, 'h', CAST(array() AS ARRAY<BIGINT>)),
      (best, i) -> CASE
        WHEN best.k >= :n THEN best
        WHEN element_at(seq, i) != element_at(:steps, 1) THEN best
        ELSE aggregate(
          array(aggregate(sequence(0, :n - 1), named_struct('k', 0, 'go', true),
            (r, j) -> CASE
            WHEN NOT r.go THEN r
            WHEN i + j > size(seq) THEN named_struct('k', r.k, 'go', false)
            WHEN element_at(seq, i + j) != element_at(:steps, j + 1) THEN named_struct('k', r.k, 'go', false)
            ELSE named_struct('k', r.k + 1, 'go', true) END).k),
          best, (b, run) -> IF(run > b.k, named_struct('k', run, 'h', slice(ts, i, run)), b))
      END) AS m
  FROM cjm_journeys);

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

-- read
SELECT count(*) AS n FROM cjm_src;

-- next_times
WITH d AS (
  SELECT pa, t - pt AS d, count(*) AS cnt FROM cjm_seq WHERE pos > 1 AND t IS NOT NULL AND pt IS NOT NULL GROUP BY pa, t - pt),
cum AS (
  SELECT pa, d, cnt,
         sum(cnt) OVER (PARTITION BY pa ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(cnt) OVER (PARTITION BY pa) AS n
  FROM d)
SELECT pa AS touchpoint, n, sum(CAST(d AS DECIMAL(38,0)) * cnt) AS total,
       min(d) AS min_d, max(d) AS max_d,
       min(IF(upto >= (n + 1) DIV 2, d, NULL)) AS lo,
       min(IF(upto >= n DIV 2 + 1, d, NULL)) AS hi,
       min(IF(upto >= (9 * n + 9) DIV 10, d, NULL)) AS p90
FROM cum GROUP BY pa, n;

-- channel_reach
SELECT ch AS channel, count(*) AS events, count(DISTINCT c) AS customers
FROM cjm_seq WHERE ch IS NOT NULL GROUP BY ch;

-- channel_switches
SELECT pch AS from_channel, ch AS to_channel, count(*) AS n
FROM cjm_seq WHERE pos > 1 AND ch IS NOT NULL AND pch IS NOT NULL GROUP BY pch, ch;

-- follows
SELECT a AS from_touchpoint, b AS to_touchpoint, count(*) AS n FROM (
  SELECT a, explode(l) AS b FROM (
    SELECT a, array(lead(a, 1) OVER w, lead(a, 2) OVER w, lead(a, 3) OVER w) AS l
    FROM cjm_seq WINDOW w AS (PARTITION BY c ORDER BY pos)))
WHERE b IS NOT NULL GROUP BY a, b;

-- funnel_levels
SELECT k, count(*) AS n FROM cjm_funnel GROUP BY k;

-- funnel_times
WITH d AS (
  SELECT step, d AS d, count(*) AS cnt FROM (SELECT p AS step, x - try_element_at(h, 1) AS d FROM cjm_funnel
  LATERAL VIEW posexplode(slice(h, 1, k)) AS p, x
  WHERE x IS NOT NULL AND try_element_at(h, 1) IS NOT NULL) AS hits GROUP BY step, d),
cum AS (
  SELECT step, d, cnt,
         sum(cnt) OVER (PARTITION BY step ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(cnt) OVER (PARTITION BY step) AS n
  FROM d)
SELECT step AS step, n, sum(CAST(d AS DECIMAL(38,0)) * cnt) AS total,
       min(d) AS min_d, max(d) AS max_d,
       min(IF(upto >= (n + 1) DIV 2, d, NULL)) AS lo,
       min(IF(upto >= n DIV 2 + 1, d, NULL)) AS hi,
       min(IF(upto >= (9 * n + 9) DIV 10, d, NULL)) AS p90
FROM cum GROUP BY step, n;

-- funnel_dropped
-- :n = 3
SELECT k, c FROM cjm_funnel WHERE k < :n ORDER BY k, ok;

-- funnel_conversion
-- :last = 2
SELECT d, count(*) AS n FROM (SELECT p AS step, x - try_element_at(h, 1) AS d FROM cjm_funnel
  LATERAL VIEW posexplode(slice(h, 1, k)) AS p, x
  WHERE x IS NOT NULL AND try_element_at(h, 1) IS NOT NULL) AS hits WHERE step = :last GROUP BY d;

-- teardown
DROP VIEW IF EXISTS cjm_funnel;

-- teardown
DROP VIEW IF EXISTS cjm_journeys;

-- teardown
DROP VIEW IF EXISTS cjm_seq;

-- teardown
DROP VIEW IF EXISTS cjm_ev;

