ALTER TABLE analytics_planrow ADD CONSTRAINT planrow_instance_fk
  FOREIGN KEY (instance_id) REFERENCES athletes_planinstance (id) ON DELETE CASCADE;
SELECT astral_planrow_sync(ARRAY(SELECT id FROM athletes_planinstance));
