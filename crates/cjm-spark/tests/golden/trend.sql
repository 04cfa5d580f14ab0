-- ===== Day
-- trend
SELECT ((t - pmod(t, 86400000000)) div 86400000000) AS b, count(*) AS events, count(DISTINCT c) AS customers
FROM cjm_seq WHERE t IS NOT NULL GROUP BY 1;

-- trend_new
SELECT ((t - pmod(t, 86400000000)) div 86400000000) AS b, count(*) AS n
FROM (SELECT c, min(t) AS t FROM cjm_seq WHERE t IS NOT NULL GROUP BY c) GROUP BY 1;

-- ===== Week
-- trend
SELECT ((((t - pmod(t, 86400000000)) div 86400000000) + 3 - pmod(((t - pmod(t, 86400000000)) div 86400000000) + 3, 7)) div 7) AS b, count(*) AS events, count(DISTINCT c) AS customers
FROM cjm_seq WHERE t IS NOT NULL GROUP BY 1;

-- trend_new
SELECT ((((t - pmod(t, 86400000000)) div 86400000000) + 3 - pmod(((t - pmod(t, 86400000000)) div 86400000000) + 3, 7)) div 7) AS b, count(*) AS n
FROM (SELECT c, min(t) AS t FROM cjm_seq WHERE t IS NOT NULL GROUP BY c) GROUP BY 1;

-- trend_conversion
-- :n = 2
SELECT ((((e - pmod(e, 86400000000)) div 86400000000) + 3 - pmod(((e - pmod(e, 86400000000)) div 86400000000) + 3, 7)) div 7) AS b, count(*) AS entered, count_if(k >= :n) AS converted
FROM (SELECT try_element_at(h, 1) AS e, k FROM cjm_funnel WHERE k > 0) WHERE e IS NOT NULL GROUP BY 1;

-- ===== Month
-- trend
SELECT CAST(year(date_from_unix_date(CAST(((t - pmod(t, 86400000000)) div 86400000000) AS INT))) * 12 + month(date_from_unix_date(CAST(((t - pmod(t, 86400000000)) div 86400000000) AS INT))) - 1 AS BIGINT) AS b, count(*) AS events, count(DISTINCT c) AS customers
FROM cjm_seq WHERE t IS NOT NULL GROUP BY 1;

-- trend_new
SELECT CAST(year(date_from_unix_date(CAST(((t - pmod(t, 86400000000)) div 86400000000) AS INT))) * 12 + month(date_from_unix_date(CAST(((t - pmod(t, 86400000000)) div 86400000000) AS INT))) - 1 AS BIGINT) AS b, count(*) AS n
FROM (SELECT c, min(t) AS t FROM cjm_seq WHERE t IS NOT NULL GROUP BY c) GROUP BY 1;

