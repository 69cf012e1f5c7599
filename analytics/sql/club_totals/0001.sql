-- Sums n over the entries whose gap is at least k, for k = 1..401.
CREATE OR REPLACE FUNCTION astral_gap_vector(gaps int[], n int[]) RETURNS int[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v int[] := array_fill(0, ARRAY[402]);
  i int;
BEGIN
  FOR i IN 1 .. COALESCE(cardinality(gaps), 0) LOOP
    v[gaps[i]] := v[gaps[i]] + n[i];
  END LOOP;
  FOR i IN REVERSE 400 .. 1 LOOP
    v[i] := v[i] + v[i + 1];
  END LOOP;
  RETURN v[1:401];
END $$;

CREATE OR REPLACE FUNCTION astral_days_refresh(users bigint[], days date[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  cu bigint[]; cd date[];
  od float8[]; o_runs int[]; og int[];
  nd float8[]; n_runs int[]; ng int[];
BEGIN
  IF users IS NULL OR cardinality(users) = 0 THEN
    RETURN;
  END IF;
  PERFORM 1 FROM athletes_user WHERE id = ANY(users) ORDER BY id FOR NO KEY UPDATE;
  -- The rows that change: the days asked for, and the next run-day after them (its gap).
  WITH pairs AS (SELECT DISTINCT p.user_id, p.day FROM unnest(users, days) AS p(user_id, day)),
  region AS (
    SELECT b.user_id, b.lo,
           COALESCE((SELECT min(a.day) FROM analytics_athleteday a
                     WHERE a.user_id = b.user_id AND a.day > b.hi), b.hi) AS hi,
           (SELECT max(a.day) FROM analytics_athleteday a
            WHERE a.user_id = b.user_id AND a.day < b.lo) AS before
    FROM (SELECT user_id, min(day) AS lo, max(day) AS hi FROM pairs GROUP BY user_id) b
  ),
  old AS (
    SELECT a.user_id, a.day, a.distance, a.runs, a.gap::int AS gap
    FROM analytics_athleteday a JOIN region r ON r.user_id = a.user_id
    WHERE a.day BETWEEN r.lo AND r.hi
  ),
  fresh AS (
    SELECT p.user_id, p.day, sum(x.distance) AS distance, count(x.id)::int AS runs
    FROM pairs p JOIN athletes_user u ON u.id = p.user_id
    JOIN athletes_activity x ON x.user_id = p.user_id
      AND x.start_time >= (p.day - 2)::timestamp AT TIME ZONE 'UTC'
      AND x.start_time < (p.day + 3)::timestamp AT TIME ZONE 'UTC'
      AND (x.start_time AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date = p.day
    GROUP BY p.user_id, p.day
  ),
  merged AS (
    SELECT o.user_id, o.day, o.distance, o.runs FROM old o
    WHERE NOT EXISTS (SELECT 1 FROM pairs p WHERE p.user_id = o.user_id AND p.day = o.day)
    UNION ALL
    SELECT f.user_id, f.day, f.distance, f.runs FROM fresh f
  ),
  new AS (
    SELECT m.user_id, m.day, m.distance, m.runs,
           LEAST(COALESCE(m.day - lag(m.day) OVER w, m.day - r.before, 401), 401) AS gap
    FROM merged m JOIN region r ON r.user_id = m.user_id
    WINDOW w AS (PARTITION BY m.user_id ORDER BY m.day)
  )
  SELECT array_agg(COALESCE(n.user_id, o.user_id)), array_agg(COALESCE(n.day, o.day)),
         array_agg(o.distance), array_agg(o.runs), array_agg(o.gap),
         array_agg(n.distance), array_agg(n.runs), array_agg(n.gap)
  INTO cu, cd, od, o_runs, og, nd, n_runs, ng
  FROM old o FULL JOIN new n ON n.user_id = o.user_id AND n.day = o.day
  WHERE (o.distance, o.runs, o.gap) IS DISTINCT FROM (n.distance, n.runs, n.gap);
  IF cu IS NULL THEN
    RETURN;
  END IF;

  DELETE FROM analytics_athleteday a USING unnest(cu, cd, n_runs) AS c(user_id, day, runs)
  WHERE c.runs IS NULL AND a.user_id = c.user_id AND a.day = c.day;
  INSERT INTO analytics_athleteday AS a (user_id, day, distance, runs, gap)
  SELECT * FROM unnest(cu, cd, nd, n_runs, ng) AS c(user_id, day, distance, runs, gap)
  WHERE c.runs IS NOT NULL ORDER BY 1, 2
  ON CONFLICT (user_id, day) DO UPDATE
    SET distance = EXCLUDED.distance, runs = EXCLUDED.runs, gap = EXCLUDED.gap;

  -- Their weeks, summed again from the days (ties in a club's top stay exact).
  WITH weeks AS (
    SELECT DISTINCT c.user_id, c.day - (extract(isodow FROM c.day)::int - 1) AS week
    FROM unnest(cu, cd) AS c(user_id, day)
  ),
  sums AS (
    SELECT w.user_id, w.week, sum(a.distance) AS distance, COALESCE(sum(a.runs), 0)::int AS runs
    FROM weeks w LEFT JOIN analytics_athleteday a
      ON a.user_id = w.user_id AND a.day BETWEEN w.week AND w.week + 6
    GROUP BY 1, 2
  ),
  gone AS (
    DELETE FROM analytics_athleteweek t USING sums s
    WHERE s.runs = 0 AND t.user_id = s.user_id AND t.week = s.week
  )
  INSERT INTO analytics_athleteweek AS t (user_id, week, distance, runs)
  SELECT * FROM sums WHERE runs > 0 ORDER BY 1, 2
  ON CONFLICT (user_id, week) DO UPDATE SET distance = EXCLUDED.distance, runs = EXCLUDED.runs;

  -- The difference, in every club the athletes count in.
  
INSERT INTO analytics_clubday AS t (club_id, day, distance, runs, active)
SELECT * FROM (
SELECT club_id, day, sum(distance), sum(runs)::int,
       astral_gap_vector(array_agg(gap::int), array_agg(n::int))
FROM (SELECT club_id, day, gap, sum(distance) AS distance, sum(runs) AS runs,
             sum(n) AS n FROM (
    SELECT m.club_id, c.day, g.gap, g.sign * g.distance, g.sign * g.runs, g.sign
    FROM unnest(cu, cd, od, o_runs, og, nd, n_runs, ng)
      AS c(user_id, day, od, o_runs, og, nd, n_runs, ng)
    JOIN analytics_clubmember m ON m.user_id = c.user_id
    CROSS JOIN LATERAL (VALUES (-1, c.og, c.od, c.o_runs), (1, c.ng, c.nd, c.n_runs))
      AS g(sign, gap, distance, runs)
    WHERE g.gap IS NOT NULL) AS c(club_id, day, gap, distance, runs, n)
      GROUP BY 1, 2, 3) g
GROUP BY 1, 2
) r ORDER BY 1, 2  -- rows locked in one order by every writer
ON CONFLICT (club_id, day) DO UPDATE
  SET distance = t.distance + EXCLUDED.distance, runs = t.runs + EXCLUDED.runs,
      active = astral_array_add(t.active, EXCLUDED.active)
;
END $$;

CREATE OR REPLACE FUNCTION astral_clubs_sync(users bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  cu bigint[]; cc bigint[]; cs int[];
  wu bigint[]; wk text[]; wr bigint[];
BEGIN
  IF users IS NULL OR cardinality(users) = 0 THEN
    RETURN;
  END IF;
  PERFORM 1 FROM athletes_user WHERE id = ANY(users) ORDER BY id FOR NO KEY UPDATE;
  -- The clubs each athlete should count in, computed once.
  SELECT array_agg(d.user_id), array_agg(d.kind), array_agg(d.ref) INTO wu, wk, wr
  FROM (
WITH who AS (SELECT DISTINCT id FROM unnest(users) AS x(id))
SELECT m.user_id, 'org', m.organization_id
FROM who JOIN organizations_membership m ON m.user_id = who.id
JOIN athletes_user u ON u.id = m.user_id AND u.is_active
WHERE m.role = 'athlete'
UNION
SELECT gm.user_id, 'group', gm.group_id
FROM who JOIN organizations_group_members gm ON gm.user_id = who.id
JOIN organizations_group g ON g.id = gm.group_id
JOIN organizations_membership m ON m.user_id = gm.user_id
  AND m.organization_id = g.organization_id AND m.role = 'athlete'
JOIN athletes_user u ON u.id = gm.user_id AND u.is_active
UNION
SELECT m.user_id, 'none', m.organization_id
FROM who JOIN organizations_membership m ON m.user_id = who.id
JOIN athletes_user u ON u.id = m.user_id AND u.is_active
WHERE m.role = 'athlete'
  -- the organizations of the athlete's groups, looked up by athlete (a few rows)
  AND m.organization_id <> ALL (ARRAY(
    SELECT g.organization_id FROM organizations_group_members gm
    JOIN organizations_group g ON g.id = gm.group_id WHERE gm.user_id = m.user_id))
) AS d(user_id, kind, ref);
  INSERT INTO analytics_club (kind, ref, athletes)
  SELECT DISTINCT kind, ref, 0 FROM unnest(wk, wr) AS d(kind, ref)
  ORDER BY 1, 2 ON CONFLICT (kind, ref) DO NOTHING;
  WITH wanted AS (
    SELECT d.user_id, c.id AS club_id FROM unnest(wu, wk, wr) AS d(user_id, kind, ref)
    JOIN analytics_club c ON c.kind = d.kind AND c.ref = d.ref
  ),
  now AS (SELECT m.user_id, m.club_id FROM unnest(users) AS x(id)
          JOIN analytics_clubmember m ON m.user_id = x.id)
  SELECT array_agg(user_id), array_agg(club_id), array_agg(sign) INTO cu, cc, cs
  FROM (
    SELECT user_id, club_id, 1 AS sign FROM (SELECT * FROM wanted EXCEPT SELECT * FROM now) x
    UNION ALL
    SELECT user_id, club_id, -1 FROM (SELECT * FROM now EXCEPT SELECT * FROM wanted) y
  ) z;
  IF cu IS NULL THEN
    RETURN;
  END IF;
  -- The whole history of each athlete who joins or leaves a club, added or taken away.
  
INSERT INTO analytics_clubday AS t (club_id, day, distance, runs, active)
SELECT * FROM (
SELECT club_id, day, sum(distance), sum(runs)::int,
       astral_gap_vector(array_agg(gap::int), array_agg(n::int))
FROM (SELECT club_id, day, gap, sum(distance) AS distance, sum(runs) AS runs,
             sum(n) AS n FROM (
    SELECT c.club_id, a.day, a.gap, c.sign * a.distance, c.sign * a.runs, c.sign
    FROM unnest(cu, cc, cs) AS c(user_id, club_id, sign)
    JOIN analytics_athleteday a ON a.user_id = c.user_id) AS c(club_id, day, gap, distance, runs, n)
      GROUP BY 1, 2, 3) g
GROUP BY 1, 2
) r ORDER BY 1, 2  -- rows locked in one order by every writer
ON CONFLICT (club_id, day) DO UPDATE
  SET distance = t.distance + EXCLUDED.distance, runs = t.runs + EXCLUDED.runs,
      active = astral_array_add(t.active, EXCLUDED.active)
;
  UPDATE analytics_club t SET athletes = t.athletes + c.n
  FROM (SELECT club_id, sum(sign) AS n FROM unnest(cc, cs) AS c(club_id, sign) GROUP BY 1) c
  WHERE t.id = c.club_id;
  DELETE FROM analytics_clubmember t USING unnest(cu, cc, cs) AS c(user_id, club_id, sign)
  WHERE c.sign < 0 AND t.user_id = c.user_id AND t.club_id = c.club_id;
  INSERT INTO analytics_clubmember (user_id, club_id)
  SELECT user_id, club_id FROM unnest(cu, cc, cs) AS c(user_id, club_id, sign) WHERE sign > 0;
END $$;

CREATE OR REPLACE FUNCTION astral_days_on_activities() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM astral_days_refresh(array_agg(x.user_id), array_agg(x.day))
    FROM (SELECT DISTINCT n.user_id,
                 (n.start_time AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date AS day
          FROM new_rows n JOIN athletes_user u ON u.id = n.user_id) x;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM astral_days_refresh(array_agg(x.user_id), array_agg(x.day))
    FROM (SELECT DISTINCT o.user_id,
                 (o.start_time AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date AS day
          FROM old_rows o JOIN athletes_user u ON u.id = o.user_id) x;
  ELSE
    -- Only the rows whose athlete, start or distance changed, on their old and new days.
    PERFORM astral_days_refresh(array_agg(x.user_id), array_agg(x.day))
    FROM (SELECT DISTINCT c.user_id,
                 (c.start_time AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date AS day
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          CROSS JOIN LATERAL (VALUES (o.user_id, o.start_time), (n.user_id, n.start_time))
            AS c(user_id, start_time)
          JOIN athletes_user u ON u.id = c.user_id
          WHERE (o.user_id, o.start_time, o.distance) IS DISTINCT FROM
                (n.user_id, n.start_time, n.distance)) x;
  END IF;
  RETURN NULL;
END $$;

-- A new time zone moves every run to another local day: all the athlete's days, old and new.
CREATE OR REPLACE FUNCTION astral_days_on_zone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM astral_days_refresh(array_agg(NEW.id), array_agg(x.day))
  FROM (SELECT day FROM analytics_athleteday WHERE user_id = NEW.id
        UNION
        SELECT (start_time AT TIME ZONE COALESCE(NULLIF(NEW.timezone, ''), 'UTC'))::date
        FROM athletes_activity WHERE user_id = NEW.id) x;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_clubs_on_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM astral_clubs_sync(ARRAY(SELECT DISTINCT user_id FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM astral_clubs_sync(ARRAY(SELECT DISTINCT user_id FROM old_rows));
  ELSE
    PERFORM astral_clubs_sync(ARRAY(SELECT user_id FROM new_rows UNION SELECT user_id FROM old_rows));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_clubs_on_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM astral_clubs_sync(ARRAY[NEW.id]);
  RETURN NULL;
END $$;

-- A group or organization deleted takes its clubs along (its members have left them).
CREATE OR REPLACE FUNCTION astral_clubs_on_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  WITH gone AS (
    DELETE FROM analytics_club c USING old_rows o
    WHERE c.ref = o.id AND c.kind = ANY(TG_ARGV) RETURNING c.id
  ),
  members AS (DELETE FROM analytics_clubmember m USING gone WHERE m.club_id = gone.id)
  DELETE FROM analytics_clubday d USING gone WHERE d.club_id = gone.id;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER club_days_insert AFTER INSERT ON athletes_activity
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_days_on_activities();
CREATE OR REPLACE TRIGGER club_days_update AFTER UPDATE ON athletes_activity
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_days_on_activities();
CREATE OR REPLACE TRIGGER club_days_delete AFTER DELETE ON athletes_activity
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_days_on_activities();
CREATE OR REPLACE TRIGGER club_days_zone AFTER UPDATE OF timezone ON athletes_user
  FOR EACH ROW
  WHEN (COALESCE(NULLIF(OLD.timezone, ''), 'UTC') IS DISTINCT FROM
        COALESCE(NULLIF(NEW.timezone, ''), 'UTC'))
  EXECUTE FUNCTION astral_days_on_zone();
CREATE OR REPLACE TRIGGER club_members_membership_insert AFTER INSERT ON organizations_membership
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_clubs_on_rows();
CREATE OR REPLACE TRIGGER club_members_membership_update AFTER UPDATE ON organizations_membership
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_clubs_on_rows();
CREATE OR REPLACE TRIGGER club_members_membership_delete AFTER DELETE ON organizations_membership
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_clubs_on_rows();
CREATE OR REPLACE TRIGGER club_members_group_insert AFTER INSERT ON organizations_group_members
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_clubs_on_rows();
CREATE OR REPLACE TRIGGER club_members_group_update AFTER UPDATE ON organizations_group_members
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_clubs_on_rows();
CREATE OR REPLACE TRIGGER club_members_group_delete AFTER DELETE ON organizations_group_members
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_clubs_on_rows();
CREATE OR REPLACE TRIGGER club_members_user AFTER UPDATE OF is_active ON athletes_user
  FOR EACH ROW WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active)
  EXECUTE FUNCTION astral_clubs_on_user();
CREATE OR REPLACE TRIGGER club_group_delete AFTER DELETE ON organizations_group
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_clubs_on_delete('group');
CREATE OR REPLACE TRIGGER club_organization_delete AFTER DELETE ON organizations_organization
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_clubs_on_delete('org', 'none');
