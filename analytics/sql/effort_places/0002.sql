CREATE OR REPLACE FUNCTION astral_effort_places(users bigint[], keys text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM athletes_user WHERE id = ANY(users) ORDER BY id FOR NO KEY UPDATE;
  WITH k AS (SELECT DISTINCT * FROM unnest(users, keys) AS t(user_id, distance_key)),
  placed AS (
    SELECT r.id, r.place, r.stored
    FROM k CROSS JOIN LATERAL (
      SELECT f.id, f.place AS stored, (rank() OVER (ORDER BY f.seconds))::smallint AS place
      FROM athletes_besteffort f
      WHERE f.user_id = k.user_id AND f.distance_key = k.distance_key
        AND f.seconds <= COALESCE((SELECT g.seconds FROM athletes_besteffort g
                                   WHERE g.user_id = k.user_id AND g.distance_key = k.distance_key
                                   ORDER BY g.seconds OFFSET 2 LIMIT 1), 'infinity')
    ) r
  ),
  wanted AS (
    SELECT id, place FROM placed WHERE stored IS DISTINCT FROM place
    UNION ALL
    SELECT f.id, NULL FROM k JOIN athletes_besteffort f USING (user_id, distance_key)
    WHERE f.place IS NOT NULL AND f.id NOT IN (SELECT id FROM placed)
  )
  UPDATE athletes_besteffort f SET place = w.place FROM wanted w WHERE f.id = w.id;
END $$;

CREATE OR REPLACE FUNCTION astral_effort_places_written() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  written bigint[];  -- rows inserted, or updated in what decides a place
  gone_users bigint[];  -- and the rows as they were before (updated or deleted)
  gone_keys text[];
  gone_seconds float8[];
  users bigint[];
  keys text[];
  moved_users bigint[];
  moved_keys text[];
BEGIN
  IF TG_OP = 'UPDATE' THEN
    -- Only what moves a place: the update of places below changes none of these.
    SELECT array_agg(n.id), array_agg(o.user_id), array_agg(o.distance_key::text),
           array_agg(o.seconds)
      INTO written, gone_users, gone_keys, gone_seconds
    FROM new_rows n JOIN old_rows o USING (id)
    WHERE (n.user_id, n.distance_key, n.seconds) IS DISTINCT FROM
          (o.user_id, o.distance_key, o.seconds);
    IF written IS NULL THEN
      RETURN NULL;
    END IF;
    SELECT array_agg(user_id), array_agg(distance_key::text) INTO users, keys
    FROM new_rows WHERE id = ANY(written);
  ELSIF TG_OP = 'INSERT' THEN
    SELECT array_agg(id), array_agg(user_id), array_agg(distance_key::text)
      INTO written, users, keys FROM new_rows;
  ELSE
    SELECT array_agg(user_id), array_agg(distance_key::text), array_agg(seconds)
      INTO gone_users, gone_keys, gone_seconds FROM old_rows;
  END IF;
  users := COALESCE(users, '{}') || COALESCE(gone_users, '{}');
  keys := COALESCE(keys, '{}') || COALESCE(gone_keys, '{}');
  IF cardinality(users) = 0 THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM athletes_user WHERE id = ANY(users) ORDER BY id FOR NO KEY UPDATE;
  -- The distances whose three fastest times this statement changed: the fastest three now,
  -- against the fastest three of the rows there were before it.
  SELECT array_agg(t.user_id), array_agg(t.distance_key) INTO moved_users, moved_keys
  FROM (SELECT DISTINCT * FROM unnest(users, keys) AS x(user_id, distance_key)) k
  CROSS JOIN LATERAL (
    SELECT k.user_id, k.distance_key,
      ARRAY(SELECT g.seconds FROM athletes_besteffort g
            WHERE g.user_id = k.user_id AND g.distance_key = k.distance_key
            ORDER BY g.seconds LIMIT 3) AS now,
      ARRAY(SELECT b.seconds FROM (
              (SELECT g.seconds FROM athletes_besteffort g
               WHERE g.user_id = k.user_id AND g.distance_key = k.distance_key
                 AND g.id <> ALL(COALESCE(written, '{}'))
               ORDER BY g.seconds LIMIT 3)
              UNION ALL
              SELECT o.seconds FROM unnest(gone_users, gone_keys, gone_seconds)
                AS o(user_id, distance_key, seconds)
              WHERE o.user_id = k.user_id AND o.distance_key = k.distance_key
            ) b ORDER BY b.seconds LIMIT 3) AS before
  ) t
  WHERE t.now IS DISTINCT FROM t.before;
  IF moved_users IS NOT NULL THEN
    PERFORM astral_effort_places(moved_users, moved_keys);
  END IF;
  -- Elsewhere every other place stands: the written rows take theirs from the three.
  UPDATE athletes_besteffort f SET place = p.place
  FROM (
    SELECT w.id, CASE WHEN w.seconds <= t.top[3]
      THEN (1 + (SELECT count(*) FROM unnest(t.top) s WHERE s < w.seconds))::smallint END AS place
    FROM athletes_besteffort w
    CROSS JOIN LATERAL (
      SELECT ARRAY(SELECT g.seconds FROM athletes_besteffort g
                   WHERE g.user_id = w.user_id AND g.distance_key = w.distance_key
                   ORDER BY g.seconds LIMIT 3) AS top
    ) t
    WHERE w.id = ANY(written)
      AND NOT EXISTS (SELECT 1 FROM unnest(moved_users, moved_keys) AS m(user_id, distance_key)
                      WHERE m.user_id = w.user_id AND m.distance_key = w.distance_key)
  ) p
  WHERE f.id = p.id AND f.place IS DISTINCT FROM p.place;
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
