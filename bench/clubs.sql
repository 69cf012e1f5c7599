-- A service of many clubs (issue 36): `astral.clubs` small clubs of `astral.club_size`
-- athletes and one coach each, beside the benchmark's big club (data.sql, run first). Each
-- club lives in one time zone (a fifth of the clubs in each of data.sql's five), has two
-- groups, a plan its athletes follow (four in five of them), goals and an API key. Their
-- runs and wellness rows come from bulk.sql with the big club's, `astral.club_days` of them.
-- Deterministic and set-based, like data.sql.
DROP TABLE IF EXISTS bench_clubs;
CREATE TEMP TABLE bench_clubs AS
SELECT current_setting('astral.today')::date AS today,
       current_setting('astral.clubs')::int AS clubs,
       current_setting('astral.club_size')::int AS size;

INSERT INTO organizations_organization (public_id, name, created_at)
SELECT 'org_club' || lpad(c::text, 12, '0'),
       (ARRAY['Riverside','Hilltop','Harbour','Northside','Lakeside','Valley','Canal','Forest'])[1 + c % 8]
         || ' Runners ' || c, now()
FROM bench_clubs b CROSS JOIN generate_series(1, b.clubs) AS c;

-- Each club's coach (n = 0) and athletes, all in the club's time zone.
INSERT INTO athletes_user (password, is_superuser, username, first_name, last_name, email, is_staff,
    is_active, date_joined, public_id, display_name, profile_image_url, timezone, unit_system, sex,
    birth_date, weight_kg, max_hr, resting_hr, vdot, privacy, preferences, push_token,
    email_verified, data_version)
SELECT '!', false, 'club' || c || '_' || n, '', '', 'club' || c || '_' || n || '@clubs.example',
       false, true, now(),
       'usr_c' || lpad(to_hex(c * 1000 + n), 15, '0'),
       (ARRAY['Alex','Sam','Jordan','Taylor','Morgan','Casey','Riley','Jamie','Avery','Quinn'])[1 + n % 10]
         || ' ' || (ARRAY['Keller','Moreau','Okafor','Lindqvist','Tanaka','Rossi','Novak','Silva'])[1 + c % 8]
         || ' ' || c || '-' || n,
       '', (ARRAY['UTC','America/Chicago','Europe/Berlin','America/New_York',''])[1 + c % 5],
       (ARRAY['metric','imperial',''])[1 + n % 3],
       (ARRAY['male','female'])[1 + n % 2], date '1980-01-01' + ((c * 31 + n * 37) % 9000),
       55 + n % 30, CASE WHEN n % 4 = 0 THEN NULL ELSE 175 + n % 20 END, 45 + n % 15,
       CASE WHEN n % 5 = 0 THEN NULL ELSE 38 + (n % 20) END,
       '{}'::jsonb, '{}'::jsonb, '', true, 0
FROM bench_clubs b CROSS JOIN generate_series(1, b.clubs) AS c CROSS JOIN generate_series(0, b.size) AS n;

-- The coach first (an athlete's assigned coach is a coach of the club already).
INSERT INTO organizations_membership (organization_id, user_id, role, assigned_coach_id, joined_at)
SELECT o.id, u.id, 'coach', NULL, now()
FROM athletes_user u
JOIN organizations_organization o ON o.public_id = 'org_club' || lpad(split_part(substr(u.username, 5), '_', 1), 12, '0')
WHERE u.username LIKE 'club%' AND split_part(u.username, '_', 2) = '0';
INSERT INTO organizations_membership (organization_id, user_id, role, assigned_coach_id, joined_at)
SELECT coach.organization_id, u.id, 'athlete', coach.user_id, now()
FROM athletes_user u
JOIN athletes_user cu ON cu.username = split_part(u.username, '_', 1) || '_0'
JOIN organizations_membership coach ON coach.user_id = cu.id
WHERE u.username LIKE 'club%' AND split_part(u.username, '_', 2) <> '0';

-- Two groups a club; an athlete in ten in neither.
INSERT INTO organizations_group (public_id, organization_id, name, created_at)
SELECT 'grp_c' || lpad(to_hex(o.id * 2 + g), 15, '0'), o.id, (ARRAY['Road', 'Track'])[g], now()
FROM organizations_organization o CROSS JOIN generate_series(1, 2) AS g
WHERE o.public_id LIKE 'org_club%';
INSERT INTO organizations_group_members (group_id, user_id)
SELECT gr.id, m.user_id
FROM organizations_membership m
JOIN organizations_group gr ON gr.organization_id = m.organization_id
 AND gr.name = (ARRAY['Road', 'Track'])[1 + m.user_id % 2]
JOIN organizations_organization o ON o.id = m.organization_id
WHERE o.public_id LIKE 'org_club%' AND m.role = 'athlete' AND m.user_id % 10 <> 0;

INSERT INTO athletes_goal (public_id, user_id, race_name, race_date, distance, goal_time, created_at)
SELECT 'gol_c' || lpad(to_hex(m.user_id), 15, '0'), m.user_id,
       (ARRAY['City Marathon','Spring Half','Park 10K'])[1 + m.user_id % 3],
       b.today + (30 + m.user_id % 120)::int, (ARRAY[42195, 21097.5, 10000])[1 + m.user_id % 3],
       (ARRAY[11400, 5400, 2700])[1 + m.user_id % 3], now()
FROM organizations_membership m
JOIN organizations_organization o ON o.id = m.organization_id
CROSS JOIN bench_clubs b
WHERE o.public_id LIKE 'org_club%' AND m.role = 'athlete';

-- One 12-week plan a club, as data.sql's: two easy days and a structured Thursday.
INSERT INTO athletes_plan (public_id, organization_id, name, description, total_weeks, created_by_id, created_at)
SELECT 'pln_c' || lpad(to_hex(o.id), 15, '0'), o.id, 'Base block', '', 12, NULL, now()
FROM organizations_organization o WHERE o.public_id LIKE 'org_club%';
INSERT INTO athletes_plannedworkout (plan_id, week, day, type, distance, duration, pace_zone)
SELECT pl.id, w, d, 'easy', 8000 + d * 1000, NULL, 1
FROM athletes_plan pl CROSS JOIN generate_series(1, 12) w CROSS JOIN unnest(ARRAY[2, 7]) d
WHERE pl.public_id LIKE 'pln_c%';
INSERT INTO athletes_plannedworkout (plan_id, week, day, type, distance, duration, pace_zone, steps)
SELECT pl.id, w, 4, 'intervals', 7200, 2520, NULL,
       '[{"kind": "warmup", "duration": 600},
         {"repeat": 6, "steps": [{"kind": "work", "distance": 800, "target": {"pace_zone": 4}},
                                 {"kind": "recovery", "duration": 120}]},
         {"kind": "cooldown", "duration": 600, "target": {"hr": [120, 150]}}]'::jsonb
FROM athletes_plan pl CROSS JOIN generate_series(1, 12) w
WHERE pl.public_id LIKE 'pln_c%';
INSERT INTO athletes_planinstance (public_id, plan_id, user_id, start_date, status, created_at)
SELECT 'pi_c' || lpad(to_hex(m.user_id), 15, '0'), pl.id, m.user_id,
       b.today - (m.user_id % 60)::int, 'active', now()
FROM organizations_membership m
JOIN athletes_plan pl ON pl.organization_id = m.organization_id
CROSS JOIN bench_clubs b
WHERE pl.public_id LIKE 'pln_c%' AND m.role = 'athlete' AND m.user_id % 5 <> 0;

-- A key a club (its integration), from the club's number: ak_club_<number> padded.
INSERT INTO organizations_apikey (public_id, organization_id, name, prefix, key_hash, created_by_id,
    created_at, last_used_at, revoked_at)
SELECT 'key_c' || lpad(to_hex(o.id), 15, '0'), o.id, 'sync', substr(k.key, 1, 10),
       encode(sha256(convert_to(k.key, 'UTF8')), 'hex'), NULL, now(), NULL, NULL
FROM organizations_organization o
CROSS JOIN LATERAL (SELECT 'ak_club_' || rpad(substr(o.public_id, 9), 35, '0') AS key) k
WHERE o.public_id LIKE 'org_club%';
