"""The club's rules, kept by PostgreSQL whatever the path (API, pages, admin, shell):
- an athlete's assigned coach is an owner or coach of the same organization; when a coach
  leaves or stops coaching, their athletes are left unassigned;
- a group's members are members of the group's organization; leaving the organization
  leaves its groups;
- an organization that has members has an owner (checked at commit, so an owner can be
  handed over inside one transaction, and a whole organization can go).

Frozen SQL: it imports no app code."""

from django.db import migrations

FORWARD = r"""
-- Rows that broke the rules before they were kept.
UPDATE organizations_membership m SET assigned_coach_id = NULL
WHERE assigned_coach_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM organizations_membership c
    WHERE c.organization_id = m.organization_id AND c.user_id = m.assigned_coach_id
      AND c.role IN ('owner', 'coach'));
DELETE FROM organizations_group_members gm
USING organizations_group g
WHERE g.id = gm.group_id AND NOT EXISTS (
    SELECT 1 FROM organizations_membership m
    WHERE m.organization_id = g.organization_id AND m.user_id = gm.user_id);

CREATE FUNCTION astral_membership_coach_of_club() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.assigned_coach_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM organizations_membership c
        WHERE c.organization_id = NEW.organization_id AND c.user_id = NEW.assigned_coach_id
          AND c.role IN ('owner', 'coach')) THEN
        RAISE EXCEPTION 'An assigned coach is an owner or coach of the same organization.'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'membership_coach_of_club';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER membership_coach_of_club
    BEFORE INSERT OR UPDATE OF assigned_coach_id, organization_id ON organizations_membership
    FOR EACH ROW EXECUTE FUNCTION astral_membership_coach_of_club();

CREATE FUNCTION astral_membership_left() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.role IN ('owner', 'coach')
       AND (TG_OP = 'DELETE' OR NEW.role NOT IN ('owner', 'coach')) THEN
        UPDATE organizations_membership SET assigned_coach_id = NULL
        WHERE organization_id = OLD.organization_id AND assigned_coach_id = OLD.user_id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM organizations_group_members gm
        USING organizations_group g
        WHERE g.id = gm.group_id AND g.organization_id = OLD.organization_id
          AND gm.user_id = OLD.user_id;
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER membership_left
    AFTER DELETE OR UPDATE OF role ON organizations_membership
    FOR EACH ROW EXECUTE FUNCTION astral_membership_left();

CREATE FUNCTION astral_group_member_of_club() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM organizations_membership m JOIN organizations_group g
          ON g.organization_id = m.organization_id
        WHERE g.id = NEW.group_id AND m.user_id = NEW.user_id) THEN
        RAISE EXCEPTION 'A group''s members are members of its organization.'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'group_member_of_club';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER group_member_of_club
    BEFORE INSERT OR UPDATE ON organizations_group_members
    FOR EACH ROW EXECUTE FUNCTION astral_group_member_of_club();

CREATE FUNCTION astral_organization_has_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.role = 'owner'
       AND EXISTS (SELECT 1 FROM organizations_organization WHERE id = OLD.organization_id)
       AND EXISTS (SELECT 1 FROM organizations_membership
                   WHERE organization_id = OLD.organization_id)
       AND NOT EXISTS (SELECT 1 FROM organizations_membership
                       WHERE organization_id = OLD.organization_id AND role = 'owner') THEN
        RAISE EXCEPTION 'An organization needs at least one owner.'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'organization_has_owner';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER organization_has_owner
    AFTER DELETE OR UPDATE OF role, organization_id ON organizations_membership
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION astral_organization_has_owner();
"""

BACKWARD = r"""
DROP TRIGGER organization_has_owner ON organizations_membership;
DROP FUNCTION astral_organization_has_owner();
DROP TRIGGER group_member_of_club ON organizations_group_members;
DROP FUNCTION astral_group_member_of_club();
DROP TRIGGER membership_left ON organizations_membership;
DROP FUNCTION astral_membership_left();
DROP TRIGGER membership_coach_of_club ON organizations_membership;
DROP FUNCTION astral_membership_coach_of_club();
"""


class Migration(migrations.Migration):
    dependencies = [("organizations", "0003_invitation")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
