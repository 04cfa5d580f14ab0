-- ===== Start
-- setup
-- :depth = 4
CACHE TABLE cjm_paths AS
SELECT transform(sequence(0, :depth), k -> IF(at + k <= size(seq), concat('t:', element_at(seq, at + k)), 'e')) AS l
FROM (SELECT seq, 1 AS at FROM cjm_journeys)
WHERE at > 0;

-- paths_anchored
SELECT count(*) AS n FROM cjm_paths;

-- paths_nodes
SELECT p AS k, x AS label, count(*) AS n
FROM cjm_paths LATERAL VIEW posexplode(l) AS p, x
WHERE NOT (x = 'e' AND p > 0 AND element_at(l, greatest(p, 1)) = 'e') GROUP BY p, x;

-- paths_links
-- :depth = 4
SELECT k, a, b, count(*) AS n FROM (
  SELECT p AS k, x AS a, element_at(l, p + 2) AS b
  FROM cjm_paths LATERAL VIEW posexplode(slice(l, 1, :depth)) AS p, x
  WHERE x != 'e')
GROUP BY k, a, b;

-- teardown
DROP VIEW IF EXISTS cjm_paths;

-- ===== From("product_page")
-- setup
-- :depth = 4
-- :anchor = "product_page"
CACHE TABLE cjm_paths AS
SELECT transform(sequence(0, :depth), k -> IF(at + k <= size(seq), concat('t:', element_at(seq, at + k)), 'e')) AS l
FROM (SELECT seq, CAST(array_position(seq, :anchor) AS INT) AS at FROM cjm_journeys)
WHERE at > 0;

-- paths_anchored
SELECT count(*) AS n FROM cjm_paths;

-- paths_nodes
SELECT p AS k, x AS label, count(*) AS n
FROM cjm_paths LATERAL VIEW posexplode(l) AS p, x
WHERE NOT (x = 'e' AND p > 0 AND element_at(l, greatest(p, 1)) = 'e') GROUP BY p, x;

-- paths_links
-- :depth = 4
SELECT k, a, b, count(*) AS n FROM (
  SELECT p AS k, x AS a, element_at(l, p + 2) AS b
  FROM cjm_paths LATERAL VIEW posexplode(slice(l, 1, :depth)) AS p, x
  WHERE x != 'e')
GROUP BY k, a, b;

-- paths_known
-- :anchor = "product_page"
SELECT count(*) AS n FROM (SELECT 1 FROM cjm_src WHERE cjm_touchpoint = :anchor LIMIT 1);

-- teardown
DROP VIEW IF EXISTS cjm_paths;

-- ===== Into("payment")
-- setup
-- :depth = 4
-- :anchor = "payment"
CACHE TABLE cjm_paths AS
SELECT transform(sequence(0, :depth), k -> CASE WHEN at + k > :depth THEN concat('t:', element_at(seq, at + k - :depth))
                WHEN at + k = :depth THEN 'e' ELSE 'm' END) AS l
FROM (SELECT seq, CAST(array_position(seq, :anchor) AS INT) AS at FROM cjm_journeys)
WHERE at > 0;

-- paths_anchored
SELECT count(*) AS n FROM cjm_paths;

-- paths_nodes
SELECT p AS k, x AS label, count(*) AS n
FROM cjm_paths LATERAL VIEW posexplode(l) AS p, x
WHERE x != 'm' GROUP BY p, x;

-- paths_links
-- :depth = 4
SELECT k, a, b, count(*) AS n FROM (
  SELECT p AS k, x AS a, element_at(l, p + 2) AS b
  FROM cjm_paths LATERAL VIEW posexplode(slice(l, 1, :depth)) AS p, x
  WHERE x != 'm')
GROUP BY k, a, b;

-- paths_known
-- :anchor = "payment"
SELECT count(*) AS n FROM (SELECT 1 FROM cjm_src WHERE cjm_touchpoint = :anchor LIMIT 1);

-- teardown
DROP VIEW IF EXISTS cjm_paths;

