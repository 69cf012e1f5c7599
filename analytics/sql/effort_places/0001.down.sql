DROP TRIGGER IF EXISTS effort_places_insert ON athletes_besteffort;
DROP TRIGGER IF EXISTS effort_places_update ON athletes_besteffort;
DROP TRIGGER IF EXISTS effort_places_delete ON athletes_besteffort;
DROP FUNCTION IF EXISTS astral_effort_places_written();
DROP FUNCTION IF EXISTS astral_effort_places(bigint[], text[]);
