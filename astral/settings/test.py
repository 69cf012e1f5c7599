"""Test settings: the environment's PostgreSQL and Redis (started by `make test`)."""

from astral.settings.base import *  # noqa: F403
from astral.settings.base import CACHES, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
if "OPTIONS" in CACHES["default"]:
    CACHES["default"]["KEY_PREFIX"] = "test"
# Tasks run inline in the test process; the worker test starts a real worker of its own.
CELERY_TASK_ALWAYS_EAGER = True

# A second alias for the replica router's test; it mirrors the primary test database.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
ASTRAL_ANALYTICS_DB = None  # switched on by the router test only
