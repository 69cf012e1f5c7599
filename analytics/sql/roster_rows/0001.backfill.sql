ALTER TABLE analytics_rosterrow ADD CONSTRAINT rosterrow_membership_fk
  FOREIGN KEY (membership_id) REFERENCES organizations_membership (id) ON DELETE CASCADE;
SELECT astral_roster_sync(ARRAY(SELECT id FROM organizations_membership WHERE role = 'athlete'));
