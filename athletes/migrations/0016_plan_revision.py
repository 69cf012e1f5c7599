from django.db import migrations, models

# One statement's workouts, however many rows it wrote, count their plans up once.
REVISE_SQL = """
CREATE FUNCTION athletes_plan_revise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE athletes_plan SET revision = revision + 1
     WHERE id IN (SELECT plan_id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE athletes_plan SET revision = revision + 1
     WHERE id IN (SELECT plan_id FROM old_rows);
  ELSE
    UPDATE athletes_plan SET revision = revision + 1
     WHERE id IN (SELECT plan_id FROM new_rows UNION SELECT plan_id FROM old_rows);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER plan_revise_insert AFTER INSERT ON athletes_plannedworkout
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION athletes_plan_revise();
CREATE TRIGGER plan_revise_update AFTER UPDATE ON athletes_plannedworkout
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION athletes_plan_revise();
CREATE TRIGGER plan_revise_delete AFTER DELETE ON athletes_plannedworkout
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION athletes_plan_revise();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS plan_revise_insert ON athletes_plannedworkout;
DROP TRIGGER IF EXISTS plan_revise_update ON athletes_plannedworkout;
DROP TRIGGER IF EXISTS plan_revise_delete ON athletes_plannedworkout;
DROP FUNCTION IF EXISTS athletes_plan_revise();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("athletes", "0015_activity_id_bytewise"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="revision",
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.RunSQL(REVISE_SQL, DROP_SQL),
    ]
