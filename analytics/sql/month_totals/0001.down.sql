DROP TRIGGER IF EXISTS month_totals_insert ON athletes_activity;
DROP TRIGGER IF EXISTS month_totals_update ON athletes_activity;
DROP TRIGGER IF EXISTS month_totals_delete ON athletes_activity;
DROP TRIGGER IF EXISTS month_totals_zone ON athletes_user;
DROP FUNCTION IF EXISTS astral_month_totals_on_zone();
DROP FUNCTION IF EXISTS astral_month_totals_on_activities();
DROP FUNCTION IF EXISTS astral_month_totals_add(bigint[], timestamptz[], float8[], int[]);
DROP FUNCTION IF EXISTS astral_array_add(float8[], float8[]);
DROP FUNCTION IF EXISTS astral_array_add(int[], int[]);
