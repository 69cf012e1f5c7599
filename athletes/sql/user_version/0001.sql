-- An athlete's data version only grows, whatever saves the row: a save of a copy loaded
-- before a write would otherwise write the older number back, and a snapshot or plan
-- standing computed from older data at that number would look fresh again.
CREATE OR REPLACE FUNCTION athletes_user_version_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.data_version := OLD.data_version;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER user_version_forward BEFORE UPDATE OF data_version ON athletes_user
  FOR EACH ROW WHEN (NEW.data_version < OLD.data_version)
  EXECUTE FUNCTION athletes_user_version_forward();
