DROP TRIGGER IF EXISTS user_version_forward ON athletes_user;
DROP FUNCTION IF EXISTS athletes_user_version_forward();
