CREATE OR REPLACE FUNCTION astral_effort_places(users bigint[], keys text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM athletes_user WHERE id = ANY(users) ORDER BY id FOR NO KEY UPDATE;
  WITH k AS (SELECT DISTINCT * FROM unnest(users, keys) AS t(user_id, distance_key)),
  placed AS (
    SELECT r.id, r.place
    FROM k CROSS JOIN LATERAL (
      SELECT f.id, (rank() OVER (ORDER BY f.seconds))::smallint AS place
      FROM athletes_besteffort f
      WHERE f.user_id = k.user_id AND f.distance_key = k.distance_key
        AND f.seconds <= COALESCE((SELECT g.seconds FROM athletes_besteffort g
                                   WHERE g.user_id = k.user_id AND g.distance_key = k.distance_key
                                   ORDER BY g.seconds OFFSET 2 LIMIT 1), 'infinity')
    ) r
  ),
  wanted AS (
    SELECT id, place FROM placed
    UNION ALL
    SELECT f.id, NULL FROM k JOIN athletes_besteffort f USING (user_id, distance_key)
    WHERE f.place IS NOT NULL AND f.id NOT IN (SELECT id FROM placed)
  )
  UPDATE athletes_besteffort f SET place = w.place FROM wanted w
  WHERE f.id = w.id AND f.place IS DISTINCT FROM w.place;
END $$;

CREATE OR REPLACE FUNCTION astral_effort_places_written() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  users bigint[];
  keys text[];
BEGIN
  IF TG_OP = 'UPDATE' THEN
    -- Only what moves a place: the update of places below changes none of these.
    SELECT array_agg(x.user_id), array_agg(x.distance_key) INTO users, keys FROM (
      SELECT n.user_id, n.distance_key::text, o.user_id AS old_user, o.distance_key AS old_key
      FROM new_rows n JOIN old_rows o USING (id)
      WHERE (n.user_id, n.distance_key, n.seconds) IS DISTINCT FROM
            (o.user_id, o.distance_key, o.seconds)
    ) c CROSS JOIN LATERAL (VALUES (c.user_id, c.distance_key), (c.old_user, c.old_key::text))
      AS x(user_id, distance_key);
  ELSIF TG_OP = 'INSERT' THEN
    SELECT array_agg(user_id), array_agg(distance_key::text) INTO users, keys FROM new_rows;
  ELSE
    SELECT array_agg(user_id), array_agg(distance_key::text) INTO users, keys FROM old_rows;
  END IF;
  IF users IS NOT NULL THEN
    PERFORM astral_effort_places(users, keys);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER effort_places_insert AFTER INSERT ON athletes_besteffort
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_effort_places_written();
CREATE OR REPLACE TRIGGER effort_places_update AFTER UPDATE ON athletes_besteffort
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_effort_places_written();
CREATE OR REPLACE TRIGGER effort_places_delete AFTER DELETE ON athletes_besteffort
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_effort_places_written();
