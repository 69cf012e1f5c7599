-- A large club, built set-based (no row-by-row inserts), deterministic: every "random"
-- number is a hash of the row's coordinates. Parameters arrive as psql-style settings:
-- astral.today (YYYY-MM-DD), astral.athletes, astral.days.
DROP TABLE IF EXISTS bench_params;
CREATE TEMP TABLE bench_params AS
SELECT current_setting('astral.today')::date AS today,
       current_setting('astral.athletes')::int AS athletes,
       current_setting('astral.days')::int AS days;

INSERT INTO organizations_organization (public_id, name, created_at)
VALUES ('org_bench00000000000', 'Benchmark Harriers', now());

-- Two coaches and the athletes. Passwords are unusable ('!'): the benchmark uses a key.
INSERT INTO athletes_user (password, is_superuser, username, first_name, last_name, email, is_staff,
    is_active, date_joined, public_id, display_name, profile_image_url, timezone, unit_system, sex,
    birth_date, weight_kg, max_hr, resting_hr, vdot, privacy, preferences, push_token,
    email_verified, data_version)
SELECT '!', false, 'bench' || n, '', '', 'bench' || n || '@bench.example', false, true, now(),
       'usr_' || substr(md5('user' || n), 1, 16),
       (ARRAY['Alex','Sam','Jordan','Taylor','Morgan','Casey','Riley','Jamie','Avery','Quinn'])[1 + n % 10]
         || ' ' || (ARRAY['Keller','Moreau','Okafor','Lindqvist','Tanaka','Rossi','Novak','Silva'])[1 + (n / 10) % 8]
         || ' ' || n,
       '', (ARRAY['UTC','America/Chicago','Europe/Berlin','America/New_York',''])[1 + n % 5],
       (ARRAY['metric','imperial',''])[1 + n % 3],
       (ARRAY['male','female'])[1 + n % 2], date '1980-01-01' + (n * 37 % 9000),
       55 + n % 30, CASE WHEN n % 4 = 0 THEN NULL ELSE 175 + n % 20 END, 45 + n % 15,
       CASE WHEN n % 5 = 0 THEN NULL ELSE 38 + (n % 20) END,
       '{}'::jsonb, '{}'::jsonb, '', true, 0
FROM generate_series(1, (SELECT athletes FROM bench_params) + 2) AS n;

-- The coaches first: an athlete's assigned coach is a coach of the club already
-- (organizations/migrations/0004 keeps it).
INSERT INTO organizations_membership (organization_id, user_id, role, assigned_coach_id, joined_at)
SELECT o.id, u.id, 'coach', NULL, now()
FROM athletes_user u CROSS JOIN organizations_organization o
WHERE u.username IN ('bench1', 'bench2');
INSERT INTO organizations_membership (organization_id, user_id, role, assigned_coach_id, joined_at)
SELECT o.id, u.id, 'athlete',
       (SELECT id FROM athletes_user WHERE username = 'bench' || (1 + u.id % 2)), now()
FROM athletes_user u CROSS JOIN organizations_organization o
WHERE u.username LIKE 'bench%' AND u.username NOT IN ('bench1', 'bench2');

-- 20 groups; 1 athlete in 10 belongs to none.
INSERT INTO organizations_group (public_id, organization_id, name, created_at)
SELECT 'grp_' || substr(md5('group' || g), 1, 16), o.id, 'Group ' || lpad(g::text, 2, '0'), now()
FROM generate_series(1, 20) g CROSS JOIN organizations_organization o;

INSERT INTO organizations_group_members (group_id, user_id)
SELECT gr.id, m.user_id
FROM organizations_membership m
JOIN organizations_group gr ON gr.name = 'Group ' || lpad((1 + m.user_id % 20)::text, 2, '0')
WHERE m.role = 'athlete' AND m.user_id % 10 <> 0;

-- The runs and the wellness rows: bench/bulk.sql, loaded in parallel shards.

INSERT INTO athletes_goal (public_id, user_id, race_name, race_date, distance, goal_time, created_at)
SELECT 'gol_' || substr(md5('goal' || m.user_id), 1, 16), m.user_id,
       (ARRAY['City Marathon','Spring Half','Park 10K'])[1 + m.user_id % 3],
       p.today + (30 + m.user_id % 120)::int, (ARRAY[42195, 21097.5, 10000])[1 + m.user_id % 3],
       (ARRAY[11400, 5400, 2700])[1 + m.user_id % 3], now()
FROM organizations_membership m CROSS JOIN bench_params p WHERE m.role = 'athlete';

INSERT INTO athletes_plan (public_id, organization_id, name, description, total_weeks, created_by_id, created_at)
SELECT 'pln_' || substr(md5('plan' || k), 1, 16), o.id, 'Block ' || k, '', 12, NULL, now()
FROM generate_series(1, 5) k CROSS JOIN organizations_organization o;

INSERT INTO athletes_plannedworkout (plan_id, week, day, type, distance, duration, pace_zone)
SELECT pl.id, w, d, 'easy', 8000 + d * 1000, NULL, 1
FROM athletes_plan pl CROSS JOIN generate_series(1, 12) w CROSS JOIN unnest(ARRAY[2, 7]) d;

-- Thursdays are structured (API.md "Goals and plans"): a warm-up, 6 × (800 m at a pace
-- zone 4, 2 min easy), a cool-down; the distance and time are what the steps add up to
-- (1.2 km + 4.8 km + 12 min + 1.2 km, at the zones' paces as the API would have stored).
INSERT INTO athletes_plannedworkout (plan_id, week, day, type, distance, duration, pace_zone, steps)
SELECT pl.id, w, 4, 'intervals', 7200, 2520, NULL,
       '[{"kind": "warmup", "duration": 600},
         {"repeat": 6, "steps": [{"kind": "work", "distance": 800, "target": {"pace_zone": 4}},
                                 {"kind": "recovery", "duration": 120}]},
         {"kind": "cooldown", "duration": 600, "target": {"hr": [120, 150]}}]'::jsonb
FROM athletes_plan pl CROSS JOIN generate_series(1, 12) w;

INSERT INTO athletes_planinstance (public_id, plan_id, user_id, start_date, status, created_at)
SELECT 'pi_' || substr(md5('pi' || m.user_id), 1, 16),
       (SELECT id FROM athletes_plan ORDER BY id OFFSET m.user_id % 5 LIMIT 1),
       m.user_id, p.today - (m.user_id % 60)::int, 'active', now()
FROM organizations_membership m CROSS JOIN bench_params p
WHERE m.role = 'athlete' AND m.user_id % 5 <> 0;

INSERT INTO organizations_apikey (public_id, organization_id, name, prefix, key_hash, created_by_id,
    created_at, last_used_at, revoked_at)
SELECT 'key_bench00000000000', o.id, 'benchmark', 'ak_bench_k',
       encode(sha256(convert_to(current_setting('astral.api_key'), 'UTF8')), 'hex'), NULL, now(), NULL, NULL
FROM organizations_organization o;

