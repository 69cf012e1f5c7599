-- The two big tables of the benchmark's club, for one shard of its athletes (user_id % shards
-- = shard): bench/data.py runs the shards on parallel connections, with the big tables'
-- secondary indexes and foreign keys dropped, and builds those once at the end.
-- Parameters as psql-style settings: astral.today, astral.days, astral.shard, astral.shards;
-- astral.club_days, the days of the many small clubs' athletes (bench/clubs.sql), if any.
CREATE TEMP TABLE IF NOT EXISTS bench_params AS
SELECT current_setting('astral.today')::date AS today,
       current_setting('astral.days')::int AS days,
       current_setting('astral.shard')::int AS shard,
       current_setting('astral.shards')::int AS shards,
       coalesce(nullif(current_setting('astral.club_days', true), '')::int,
                current_setting('astral.days')::int) AS club_days,
       (SELECT id FROM organizations_organization WHERE public_id = 'org_bench00000000000') AS big;

-- About 0.7 runs a day for two years (the small clubs' athletes: their days); ids from the athlete and the day (unique, no hashing).
INSERT INTO athletes_activity (public_id, user_id, start_time, name, sport, distance, duration,
    elapsed_time, avg_heart_rate, max_heart_rate, calories, elevation_gain, source, external_id,
    content_hash, training_load, pace_z1_time, pace_z2_time, pace_z3_time, pace_z4_time,
    pace_z5_time, hr_z1_time, hr_z2_time, hr_z3_time, hr_z4_time, hr_z5_time, created_at, updated_at)
SELECT 'act_' || lpad(to_hex(m.user_id::bigint * 100000 + d), 16, '0'), m.user_id,
       (p.today - d) + ((5 + h % 14) * 60 + h % 60) * interval '1 minute',
       'Run', 'run', dist, dur, dur * 1.03, 130 + h % 40, 160 + h % 30, dist * 0.07,
       h % 200, CASE h % 3 WHEN 0 THEN 'garmin' WHEN 1 THEN 'strava' ELSE 'manual' END, NULL, NULL,
       round(dur / 60 * (0.8 + (h % 80) / 100e0::float8) * 10) / 10,
       dur * 0.5, dur * 0.3, dur * 0.1, dur * 0.07, dur * 0.03,
       dur * 0.2, dur * 0.4, dur * 0.3, dur * 0.08, dur * 0.02, now(), now()
FROM bench_params p
CROSS JOIN organizations_membership m
CROSS JOIN generate_series(0, CASE WHEN m.organization_id = p.big THEN p.days ELSE p.club_days END - 1) AS d
CROSS JOIN LATERAL (SELECT abs(hashtext(m.user_id || '/' || d)::bigint) AS h) hh
-- In float8, as stored: numeric arithmetic on every column made generating a run 15 % slower.
CROSS JOIN LATERAL (SELECT (4000 + h % 16000)::float8 AS dist) dd
CROSS JOIN LATERAL (SELECT dist * (270 + h % 120) / 1000 AS dur) uu
WHERE m.role = 'athlete' AND h % 1000 < 700
  AND m.user_id % p.shards = p.shard;

-- One wellness row per athlete-day.
INSERT INTO athletes_healthmetric (user_id, date, resting_hr, hrv, vo2_max, recovery_score,
    sleep_seconds, updated_at)
SELECT m.user_id, p.today - d,
       45 + h % 12, 50 + h % 40, 40 + (m.user_id % 15) + (h % 10) / 10e0::float8,
       40 + h % 60, 21600 + h % 10000, now()
FROM bench_params p
CROSS JOIN organizations_membership m
CROSS JOIN generate_series(0, CASE WHEN m.organization_id = p.big THEN p.days ELSE p.club_days END - 1) AS d
CROSS JOIN LATERAL (SELECT abs(hashtext('h' || m.user_id || '/' || d)::bigint) AS h) hh
WHERE m.role = 'athlete' AND m.user_id % p.shards = p.shard;
