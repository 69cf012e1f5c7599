CREATE OR REPLACE FUNCTION astral_array_add(a float8[], b float8[]) RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) $$;

CREATE OR REPLACE FUNCTION astral_array_add(a int[], b int[]) RETURNS int[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) $$;

CREATE OR REPLACE FUNCTION astral_month_totals_add(
    users bigint[], starts timestamptz[], distances float8[], signs int[]
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF users IS NULL OR cardinality(users) = 0 THEN
    RETURN;
  END IF;
  PERFORM 1 FROM athletes_user WHERE id = ANY(users) ORDER BY id FOR NO KEY UPDATE;
  INSERT INTO analytics_monthtotals AS t (user_id, month, distance, runs)
  SELECT r.* FROM (
WITH per AS (
  SELECT c.user_id, date_trunc('month', c.day)::date AS month,
         extract(day FROM c.day)::int AS dom, sum(c.distance * c.sign) AS distance,
         sum(c.sign)::int AS runs
  FROM (
    SELECT x.user_id, x.sign, x.distance,
           (x.start_time AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date AS day
    FROM (SELECT * FROM unnest(users, starts, distances, signs)) AS x(user_id, start_time, distance, sign)
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
) AS r(user_id, month, distance, runs)
  WHERE r.runs[31] <> 0 OR EXISTS (SELECT 1 FROM unnest(r.distance) AS d WHERE d <> 0)
  ORDER BY r.user_id, r.month
  ON CONFLICT (user_id, month) DO UPDATE
    SET distance = astral_array_add(t.distance, EXCLUDED.distance),
        runs = astral_array_add(t.runs, EXCLUDED.runs);
  DELETE FROM analytics_monthtotals WHERE user_id = ANY(users) AND runs[31] = 0;
END $$;

CREATE OR REPLACE FUNCTION astral_month_totals_on_activities() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM astral_month_totals_add(array_agg(user_id), array_agg(start_time),
                                    array_agg(distance), array_agg(1)) FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM astral_month_totals_add(array_agg(user_id), array_agg(start_time),
                                    array_agg(distance), array_agg(-1)) FROM old_rows;
  ELSE
    -- Only the rows whose athlete, start or distance changed.
    PERFORM astral_month_totals_add(array_agg(c.user_id), array_agg(c.start_time),
                                    array_agg(c.distance), array_agg(c.sign))
    FROM (
      SELECT o.user_id, o.start_time, o.distance, -1 AS sign
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE (o.user_id, o.start_time, o.distance) IS DISTINCT FROM
            (n.user_id, n.start_time, n.distance)
      UNION ALL
      SELECT n.user_id, n.start_time, n.distance, 1
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE (o.user_id, o.start_time, o.distance) IS DISTINCT FROM
            (n.user_id, n.start_time, n.distance)
    ) c;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_month_totals_on_zone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM analytics_monthtotals WHERE user_id = NEW.id;
  PERFORM astral_month_totals_add(array_agg(user_id), array_agg(start_time),
                                  array_agg(distance), array_agg(1))
  FROM athletes_activity WHERE user_id = NEW.id;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER month_totals_insert AFTER INSERT ON athletes_activity
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_month_totals_on_activities();
CREATE OR REPLACE TRIGGER month_totals_update AFTER UPDATE ON athletes_activity
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_month_totals_on_activities();
CREATE OR REPLACE TRIGGER month_totals_delete AFTER DELETE ON athletes_activity
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_month_totals_on_activities();
CREATE OR REPLACE TRIGGER month_totals_zone AFTER UPDATE OF timezone ON athletes_user
  FOR EACH ROW
  WHEN (COALESCE(NULLIF(OLD.timezone, ''), 'UTC') IS DISTINCT FROM
        COALESCE(NULLIF(NEW.timezone, ''), 'UTC'))
  EXECUTE FUNCTION astral_month_totals_on_zone();
