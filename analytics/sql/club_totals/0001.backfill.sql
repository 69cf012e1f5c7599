INSERT INTO analytics_athleteday (user_id, day, distance, runs, gap)
SELECT user_id, day, distance, runs,
       LEAST(COALESCE(day - lag(day) OVER (PARTITION BY user_id ORDER BY day), 401), 401)
FROM (
  SELECT x.user_id,
         (x.start_time AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date AS day,
         sum(x.distance) AS distance, count(*)::int AS runs
  FROM athletes_activity x JOIN athletes_user u ON u.id = x.user_id
  
  GROUP BY 1, 2
) d
; 
INSERT INTO analytics_athleteweek (user_id, week, distance, runs)
SELECT user_id, day - (extract(isodow FROM day)::int - 1), sum(distance), sum(runs)
FROM analytics_athleteday  GROUP BY 1, 2
; SELECT astral_clubs_sync(ARRAY(SELECT id FROM athletes_user));
