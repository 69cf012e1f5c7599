DROP TRIGGER IF EXISTS plan_revise_insert ON athletes_plannedworkout;
DROP TRIGGER IF EXISTS plan_revise_update ON athletes_plannedworkout;
DROP TRIGGER IF EXISTS plan_revise_delete ON athletes_plannedworkout;
DROP FUNCTION IF EXISTS athletes_plan_revise();
