CREATE OR REPLACE FUNCTION astral_roster_sync(membership_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Version 2: nothing to do for no rows (an upsert fires its INSERT and its UPDATE
  -- triggers, one of them mostly empty), and a row left as it is when nothing in it changes
  -- (a refresh that finds the same figures writes no index entry).
  IF COALESCE(cardinality(membership_ids), 0) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM analytics_rosterrow r
  WHERE r.membership_id = ANY(membership_ids)
    AND NOT EXISTS (SELECT 1 FROM organizations_membership m
                    WHERE m.id = r.membership_id AND m.role = 'athlete');
  INSERT INTO analytics_rosterrow AS r (
      membership_id, organization_id, user_id, active, name, username, last_activity_at,
      weekly_distance, attention_warnings, attention_infos, attention_since, fresh_from,
      fresh_until)
  SELECT m.id, m.organization_id, m.user_id, u.is_active, u.display_name, u.username,
         s.last_activity_at, s.weekly_distance, s.attention_warnings, s.attention_infos,
         s.attention_since,
         CASE WHEN s.source_version = u.data_version
              THEN s.as_of::timestamp AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC')
              ELSE '2200-01-01 00:00+00' END,
         CASE WHEN s.source_version = u.data_version
              THEN (s.as_of + 1)::timestamp AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC')
              ELSE '1900-01-01 00:00+00' END
  FROM organizations_membership m
  JOIN athletes_user u ON u.id = m.user_id
  LEFT JOIN analytics_athletesnapshot s ON s.user_id = m.user_id
  WHERE m.id = ANY(membership_ids) AND m.role = 'athlete'
  ORDER BY m.id
  ON CONFLICT (membership_id) DO UPDATE SET
    organization_id = EXCLUDED.organization_id, user_id = EXCLUDED.user_id,
    active = EXCLUDED.active, name = EXCLUDED.name, username = EXCLUDED.username,
    last_activity_at = EXCLUDED.last_activity_at, weekly_distance = EXCLUDED.weekly_distance,
    attention_warnings = EXCLUDED.attention_warnings,
    attention_infos = EXCLUDED.attention_infos, attention_since = EXCLUDED.attention_since,
    fresh_from = EXCLUDED.fresh_from, fresh_until = EXCLUDED.fresh_until
  WHERE (r.organization_id, r.user_id, r.active, r.name, r.username, r.last_activity_at,
         r.weekly_distance, r.attention_warnings, r.attention_infos, r.attention_since,
         r.fresh_from, r.fresh_until)
        IS DISTINCT FROM
        (EXCLUDED.organization_id, EXCLUDED.user_id, EXCLUDED.active, EXCLUDED.name,
         EXCLUDED.username, EXCLUDED.last_activity_at, EXCLUDED.weekly_distance,
         EXCLUDED.attention_warnings, EXCLUDED.attention_infos, EXCLUDED.attention_since,
         EXCLUDED.fresh_from, EXCLUDED.fresh_until);
END $$;

CREATE OR REPLACE FUNCTION astral_roster_on_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM astral_roster_sync(ARRAY(SELECT id FROM new_rows));
  ELSE
    PERFORM astral_roster_sync(ARRAY(
      SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE (n.role, n.user_id, n.organization_id) IS DISTINCT FROM
            (o.role, o.user_id, o.organization_id)));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_roster_on_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM astral_roster_sync(ARRAY(
    SELECT id FROM organizations_membership WHERE user_id = NEW.id AND role = 'athlete'));
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_roster_on_snapshots() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM astral_roster_sync(ARRAY(
      SELECT m.id FROM organizations_membership m JOIN old_rows o ON o.user_id = m.user_id
      WHERE m.role = 'athlete'));
  ELSE
    PERFORM astral_roster_sync(ARRAY(
      SELECT m.id FROM organizations_membership m JOIN new_rows n ON n.user_id = m.user_id
      WHERE m.role = 'athlete'));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER roster_membership_insert AFTER INSERT ON organizations_membership
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_memberships();
CREATE OR REPLACE TRIGGER roster_membership_update AFTER UPDATE ON organizations_membership
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_memberships();
CREATE OR REPLACE TRIGGER roster_user AFTER UPDATE OF display_name, username, is_active, data_version,
  timezone ON athletes_user FOR EACH ROW
  WHEN ((OLD.display_name, OLD.username, OLD.is_active, OLD.data_version, OLD.timezone)
        IS DISTINCT FROM
        (NEW.display_name, NEW.username, NEW.is_active, NEW.data_version, NEW.timezone))
  EXECUTE FUNCTION astral_roster_on_user();
CREATE OR REPLACE TRIGGER roster_snapshot_insert AFTER INSERT ON analytics_athletesnapshot
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_snapshots();
CREATE OR REPLACE TRIGGER roster_snapshot_update AFTER UPDATE ON analytics_athletesnapshot
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_snapshots();
CREATE OR REPLACE TRIGGER roster_snapshot_delete AFTER DELETE ON analytics_athletesnapshot
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_snapshots();
