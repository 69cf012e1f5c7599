"""Test settings: the environment's PostgreSQL and Redis (started by `make test`).

The pure tests (`tests/unit`, the maths of `metrics/`) need neither: for them a
database URL that is never connected to is enough, so they run with plain `pytest tests/unit`.
"""

import os

# Whether `make test` (or the caller) gave real services; checked by tests/conftest.py.
ASTRAL_TEST_SERVICES = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
os.environ.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1:1/unused")
os.environ.setdefault("DJANGO_SECRET_KEY", "astral-test-key-not-for-production-0123456789-abcdefgh")

from astral.settings import *  # noqa: E402, F403
from astral.settings.base import CACHES, DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
if "OPTIONS" in CACHES["default"]:
    CACHES["default"]["KEY_PREFIX"] = "test"
# The suite sends many requests a minute on one token; the budget's own tests set theirs.
ASTRAL_API_BUDGET_PER_MINUTE = 100_000_000
# The webhook tests' receivers listen on loopback.
ASTRAL_WEBHOOKS_ALLOW_PRIVATE = True
# Tasks run inline in the test process; the worker test starts a real worker of its own.
CELERY_TASK_ALWAYS_EAGER = True

# A second alias for the replica router's test; it mirrors the primary test database.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
ASTRAL_ANALYTICS_DB = None  # switched on by the router test only
# The real streaming replica `make test` starts (scripts/services.sh replica-start): its tests
# point this alias at it. Declared a mirror so the runner neither creates nor flushes a
# database on a hot standby, which refuses writes.
DATABASES["standby"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
