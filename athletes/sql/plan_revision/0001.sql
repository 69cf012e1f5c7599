-- One statement's workouts, however many rows it wrote, count their plans up once.
CREATE OR REPLACE FUNCTION athletes_plan_revise() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE TRIGGER plan_revise_insert AFTER INSERT ON athletes_plannedworkout
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION athletes_plan_revise();
CREATE OR REPLACE TRIGGER plan_revise_update AFTER UPDATE ON athletes_plannedworkout
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION athletes_plan_revise();
CREATE OR REPLACE TRIGGER plan_revise_delete AFTER DELETE ON athletes_plannedworkout
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION athletes_plan_revise();
