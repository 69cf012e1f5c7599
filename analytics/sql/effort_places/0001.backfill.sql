SELECT astral_effort_places(array_agg(user_id), array_agg(distance_key::text))
FROM (SELECT DISTINCT user_id, distance_key FROM athletes_besteffort) e
HAVING count(*) > 0
