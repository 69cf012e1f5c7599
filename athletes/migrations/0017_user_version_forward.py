from django.db import migrations

# An athlete's data version only grows, whatever saves the row: a save of a copy loaded
# before a write would otherwise write the older number back, and a snapshot or plan
# standing computed from older data at that number would look fresh again.
FORWARD_SQL = """
CREATE FUNCTION athletes_user_version_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.data_version := OLD.data_version;
  RETURN NEW;
END $$;
CREATE TRIGGER user_version_forward BEFORE UPDATE OF data_version ON athletes_user
  FOR EACH ROW WHEN (NEW.data_version < OLD.data_version)
  EXECUTE FUNCTION athletes_user_version_forward();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS user_version_forward ON athletes_user;
DROP FUNCTION IF EXISTS athletes_user_version_forward();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("athletes", "0016_plan_revision"),
    ]

    operations = [migrations.RunSQL(FORWARD_SQL, DROP_SQL)]
