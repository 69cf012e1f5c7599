CREATE OR REPLACE FUNCTION astral_planrow_sync(instance_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Version 3: nothing to do for no rows, and a row left as it is when nothing in it
  -- changes (as roster_rows/0002.sql).
  IF COALESCE(cardinality(instance_ids), 0) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO analytics_planrow AS r (
      instance_id, organization_id, user_id, plan_id, listed, name, start_date, compliance,
      due_workouts, score_sum, progress, fresh_from, fresh_until)
  SELECT pi.id, pl.organization_id, pi.user_id, pi.plan_id,
         pi.status = 'active' AND EXISTS (
           SELECT 1 FROM organizations_membership m
            WHERE m.user_id = pi.user_id AND m.organization_id = pl.organization_id
              AND m.role = 'athlete'),
         COALESCE(NULLIF(u.display_name, ''), u.username), pi.start_date, s.compliance,
         COALESCE(s.due_workouts, 0), COALESCE(s.score_sum, 0),
         -- Version 2: a plan not started yet has made no progress (METRICS.md §7, API.md).
         CASE WHEN pi.start_date > s.as_of THEN 0 ELSE s.current_week::float8 / pl.total_weeks END,
         CASE WHEN s.source_version = u.data_version AND s.source_plan = pi.plan_id
   AND s.source_revision = pl.revision AND s.source_weeks = pl.total_weeks
   AND s.source_start = pi.start_date
              THEN s.as_of::timestamp AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC')
              ELSE '2200-01-01 00:00+00' END,
         CASE WHEN s.source_version = u.data_version AND s.source_plan = pi.plan_id
   AND s.source_revision = pl.revision AND s.source_weeks = pl.total_weeks
   AND s.source_start = pi.start_date
              THEN (s.as_of + 1)::timestamp AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC')
              ELSE '1900-01-01 00:00+00' END
  FROM athletes_planinstance pi
  JOIN athletes_plan pl ON pl.id = pi.plan_id
  JOIN athletes_user u ON u.id = pi.user_id
  LEFT JOIN analytics_planstanding s ON s.instance_id = pi.id
  WHERE pi.id = ANY(instance_ids)
  ORDER BY pi.id
  ON CONFLICT (instance_id) DO UPDATE SET
    organization_id = EXCLUDED.organization_id, user_id = EXCLUDED.user_id,
    plan_id = EXCLUDED.plan_id, listed = EXCLUDED.listed, name = EXCLUDED.name,
    start_date = EXCLUDED.start_date, compliance = EXCLUDED.compliance,
    due_workouts = EXCLUDED.due_workouts, score_sum = EXCLUDED.score_sum,
    progress = EXCLUDED.progress, fresh_from = EXCLUDED.fresh_from,
    fresh_until = EXCLUDED.fresh_until
  WHERE (r.organization_id, r.user_id, r.plan_id, r.listed, r.name, r.start_date,
         r.compliance, r.due_workouts, r.score_sum, r.progress, r.fresh_from, r.fresh_until)
        IS DISTINCT FROM
        (EXCLUDED.organization_id, EXCLUDED.user_id, EXCLUDED.plan_id, EXCLUDED.listed,
         EXCLUDED.name, EXCLUDED.start_date, EXCLUDED.compliance, EXCLUDED.due_workouts,
         EXCLUDED.score_sum, EXCLUDED.progress, EXCLUDED.fresh_from, EXCLUDED.fresh_until);
END $$;

CREATE OR REPLACE FUNCTION astral_planrow_on_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- TG_ARGV[0]: the column of the changed rows that names their plan instance.
  IF TG_OP = 'DELETE' THEN
    EXECUTE format('SELECT astral_planrow_sync(ARRAY(SELECT %I FROM old_rows))', TG_ARGV[0]);
  ELSE
    EXECUTE format('SELECT astral_planrow_sync(ARRAY(SELECT %I FROM new_rows))', TG_ARGV[0]);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_planrow_on_owner() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- TG_ARGV[0]: the instances' column naming the changed row (a plan's or an athlete's id).
  EXECUTE format(
    'SELECT astral_planrow_sync(ARRAY(SELECT id FROM athletes_planinstance WHERE %I = $1))',
    TG_ARGV[0]) USING NEW.id;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_planrow_on_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM astral_planrow_sync(ARRAY(SELECT pi.id FROM athletes_planinstance pi
      WHERE pi.user_id IN (SELECT user_id FROM new_rows)));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM astral_planrow_sync(ARRAY(SELECT pi.id FROM athletes_planinstance pi
      WHERE pi.user_id IN (SELECT user_id FROM old_rows)));
  ELSE
    PERFORM astral_planrow_sync(ARRAY(SELECT pi.id FROM athletes_planinstance pi
      WHERE pi.user_id IN (SELECT user_id FROM new_rows UNION SELECT user_id FROM old_rows)));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER planrow_instance_insert AFTER INSERT ON athletes_planinstance
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_planrow_on_rows('id');
CREATE OR REPLACE TRIGGER planrow_instance_update AFTER UPDATE ON athletes_planinstance
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_planrow_on_rows('id');
CREATE OR REPLACE TRIGGER planrow_standing_insert AFTER INSERT ON analytics_planstanding
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_planrow_on_rows('instance_id');
CREATE OR REPLACE TRIGGER planrow_standing_update AFTER UPDATE ON analytics_planstanding
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_planrow_on_rows('instance_id');
CREATE OR REPLACE TRIGGER planrow_standing_delete AFTER DELETE ON analytics_planstanding
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_planrow_on_rows('instance_id');
CREATE OR REPLACE TRIGGER planrow_plan AFTER UPDATE OF revision, total_weeks, organization_id
  ON athletes_plan FOR EACH ROW
  WHEN ((OLD.revision, OLD.total_weeks, OLD.organization_id)
        IS DISTINCT FROM (NEW.revision, NEW.total_weeks, NEW.organization_id))
  EXECUTE FUNCTION astral_planrow_on_owner('plan_id');
CREATE OR REPLACE TRIGGER planrow_user AFTER UPDATE OF display_name, username, data_version, timezone
  ON athletes_user FOR EACH ROW
  WHEN ((OLD.display_name, OLD.username, OLD.data_version, OLD.timezone)
        IS DISTINCT FROM (NEW.display_name, NEW.username, NEW.data_version, NEW.timezone))
  EXECUTE FUNCTION astral_planrow_on_owner('user_id');
CREATE OR REPLACE TRIGGER planrow_membership_insert AFTER INSERT ON organizations_membership
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_planrow_on_memberships();
CREATE OR REPLACE TRIGGER planrow_membership_update AFTER UPDATE ON organizations_membership
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_planrow_on_memberships();
CREATE OR REPLACE TRIGGER planrow_membership_delete AFTER DELETE ON organizations_membership
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_planrow_on_memberships();
