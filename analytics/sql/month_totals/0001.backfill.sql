INSERT INTO analytics_monthtotals (user_id, month, distance, runs) 
WITH per AS (
  SELECT c.user_id, date_trunc('month', c.day)::date AS month,
         extract(day FROM c.day)::int AS dom, sum(c.distance * c.sign) AS distance,
         sum(c.sign)::int AS runs
  FROM (
    SELECT x.user_id, x.sign, x.distance,
           (x.start_time AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date AS day
    FROM (SELECT user_id, start_time, distance, 1 FROM athletes_activity ) AS x(user_id, start_time, distance, sign)
    JOIN athletes_user u ON u.id = x.user_id
  ) c
  GROUP BY 1, 2, 3
),
-- The running totals at the days with activities, each repeated up to the next such day:
-- the 31 values written out as an array literal (a grid of 31 rows per month cost five
-- times as long to build for 10,000 athletes' two years).
points AS (
  SELECT user_id, month, dom, lead(dom, 1, 32) OVER w AS next_dom,
         sum(distance) OVER w AS distance, sum(runs) OVER w AS runs
  FROM per WINDOW w AS (PARTITION BY user_id, month ORDER BY dom)
)
SELECT user_id, month,
       ('{' || rtrim(repeat('0,', min(dom) - 1)
              || string_agg(repeat(distance::text || ',', next_dom - dom), '' ORDER BY dom), ',')
        || '}')::float8[],
       ('{' || rtrim(repeat('0,', min(dom) - 1)
              || string_agg(repeat(runs::text || ',', next_dom - dom), '' ORDER BY dom), ',')
        || '}')::int[]
FROM points GROUP BY user_id, month
