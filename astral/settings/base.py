"""One settings module, configured from the environment (12-factor).

`DATABASE_URL` names the PostgreSQL to use (`make run` starts an embedded one and sets it);
without `REDIS_URL` the cache is in-process, and without `CELERY_BROKER_URL` Celery tasks
run eagerly in the web process.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # Sessions, tokens and reset links are signed with it: never run them on a known key.
        raise environ.ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value "
            "(e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    # Development only (debug on): a fixed, clearly insecure key so `make run` just works.
    SECRET_KEY = "django-insecure-astral-development-key-change-me-in-production-0123456789"  # noqa: S105
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "athletes",
    "organizations",
    "analytics",
    "pages",
]

MIDDLEWARE = [
    # Outermost, so every refusal under /api/ (Django's own included) is the API's JSON.
    "astral.api.middleware.ApiErrorMiddleware",
    # API.md §5: every key's and token's request counts (cached answers too), and a
    # retried write with its Idempotency-Key is answered once; ETag and 304 for every GET.
    "astral.api.budget.ApiBudgetMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "astral.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "astral.api.idempotency.IdempotencyMiddleware",
    "astral.localtime.StaffTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, so a cached answer still gets every header the middlewares above add.
    "astral.api.front.FrontCacheMiddleware",
]

ROOT_URLCONF = "astral.urls"
WSGI_APPLICATION = "astral.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pages.chrome.navigation",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    """A DATABASES entry: persistent connections and, on PostgreSQL, what the benchmark
    measured (docs/benchmarks.md): JIT off (it turns the roster aggregate from milliseconds
    into hundreds of them), server-side parameter binding (large results come back sooner
    than through the simple query protocol) and prepared statements after 5 uses on a
    connection (planning is a millisecond of some statements; the roster's statement opts
    out, analytics/roster.py)."""
    database = env.db_url_config(url)
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise environ.ImproperlyConfigured(f"Astral runs on PostgreSQL only, not {url!r}.")
    # A Unix socket folder, percent-encoded in the URL (`make run`'s embedded server).
    database["HOST"] = unquote(database["HOST"])
    database["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    database["CONN_HEALTH_CHECKS"] = True
    database.setdefault("OPTIONS", {}).update(
        options="-c jit=off",
        server_side_binding=True,
        prepare_threshold=5,
        # A server that is gone or frozen is an error in seconds, not a hung worker.
        connect_timeout=3,
    )
    return database


if not env.str("DATABASE_URL", default=""):
    raise environ.ImproperlyConfigured(
        "DATABASE_URL is not set. `make run` starts an embedded PostgreSQL and sets it; "
        "otherwise point it at a PostgreSQL, e.g. postgres://user@127.0.0.1:5432/astral."
    )
DATABASES = {"default": _database(env.str("DATABASE_URL"))}
if env.str("DATABASE_REPLICA_URL", default=""):
    # The same options: analytics reads go there, the heaviest statements of all.
    DATABASES["replica"] = _database(env.str("DATABASE_REPLICA_URL"))
DATABASE_ROUTERS = ["astral.db.AnalyticsReplicaRouter"]
# The alias analytics reads go to; None keeps everything on the primary.
ASTRAL_ANALYTICS_DB = "replica" if "replica" in DATABASES else None
# How far the replica may lag: cached answers are invalidated again after this long.
ASTRAL_REPLICA_LAG_SECONDS = env.int("ASTRAL_REPLICA_LAG_SECONDS", default=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Errors reach astral/cache.py (the only user of the cache), whose breaker
                # turns a lost or frozen Redis into recomputation after one short timeout.
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }
else:
    # Without Redis (`make run`), a cache on disk that every process on this machine shares:
    # a write from `make manage` (an import, a shell) replaces the running server's cached
    # answers at once, as it does through Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env.str("ASTRAL_CACHE_DIR", default=str(BASE_DIR / ".cache" / "astral")),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

AUTH_USER_MODEL = "athletes.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["athletes.backends.EmailOrUsernameBackend"]
PASSWORD_RESET_TIMEOUT = 2 * 60 * 60  # a reset link works once, for two hours at most
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# "Sun 6 Dec 2026" on every page, the admin's too (astral/formats/en/formats.py).
FORMAT_MODULE_PATH = ["astral.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default="") or None  # only for collectstatic
# WhiteNoise serves static files in every mode, straight from the source folders, so a
# production process needs no collectstatic step and no separate file server.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "organizations.authentication.BearerAuthentication",
        "organizations.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["astral.api.renderers.OrjsonRenderer"],
    # JSON in; only the file upload takes multipart (API.md §1).
    "DEFAULT_PARSER_CLASSES": ["astral.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "astral.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "astral.api.schema.AstralAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {"auth": "20/min"},
    # Throttles key on the socket's address; behind N trusted proxies (a balancer), on the
    # address the Nth proxy from the end of X-Forwarded-For saw. Never on what a client sends.
    "NUM_PROXIES": env.int("ASTRAL_TRUSTED_PROXIES", default=0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=14),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "sub",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Astral API",
    "DESCRIPTION": "Coaching analytics for distance running.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "astral.api.schema.shared_error",
        "astral.api.schema.storable_text",
        "api.shapes.typed_answers",
    ],
    # Swagger UI from our own static files (no CDN; the app works offline).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No link inside each operation's button (axe: nested interactive controls); the
    # operation's address stays in the schema and the docs' own anchors.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "persistAuthorization": True},
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# A process takes its next task when it frees up, not four ahead: a set of import files
# runs for a second, and tasks reserved behind a busy process would wait while another idles.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A write enqueues on commit and must not wait on a broker that stopped answering: short
# socket timeouts, no publish retries (astral.celery.enqueue then skips it for a while).
CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_timeout": 0.5,
    "socket_connect_timeout": 0.5,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "refresh-all-athlete-snapshots": {
        "task": "analytics.tasks.refresh_all_snapshots",
        # Hourly; `make soak` runs it every minute so its drills meet it several times.
        "schedule": env.float("ASTRAL_SNAPSHOT_REFRESH_SECONDS", default=3600.0),
    },
    "finish-stalled-imports": {
        "task": "athletes.tasks.finish_stalled_imports",
        "schedule": 300.0,
    },
    # API.md §5: webhooks get their organization's changes within a minute.
    "deliver-webhooks": {
        "task": "organizations.tasks.deliver_webhooks",
        "schedule": 60.0,
    },
    # API.md §5: the change feed keeps 30 days.
    "prune-changes": {
        "task": "athletes.tasks.prune_changes",
        "schedule": 24 * 3600.0,
    },
}

# METRICS.md §5: attention thresholds live in settings.
ASTRAL_ATTENTION = {
    "hrv_drop_ratio": 0.90,
    "recovery_drop_ratio": 0.85,
    "vo2max_change_ratio": 0.03,
    "load_spike_acr": 1.5,
    "load_spike_min_history_days": 21,
    "min_readings_per_week": 3,
}
# E-mail (invitations, password reset): SMTP from EMAIL_URL (e.g. smtp+tls://user:pw@host:587)
# or the usual EMAIL_HOST/EMAIL_PORT/...; without either, e-mails are printed to the console.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Astral <no-reply@astral.localhost>")
# Where links in e-mails point (e.g. https://astral.example.com); default: the request's host.
ASTRAL_BASE_URL = env.str("ASTRAL_BASE_URL", default="")
# A tile server for the map under an activity's route, e.g.
# "https://tile.openstreetmap.org/{z}/{x}/{y}.png"; unset, the route is drawn on its own
# (works offline, sends nobody the athlete's whereabouts).
ASTRAL_MAP_TILES = env.str("ASTRAL_MAP_TILES", default="")

ASTRAL_UPLOAD_MAX_BYTES = 25 * 1024 * 1024
# A zip of a whole Strava or Garmin export (POST /api/v1/activities/import).
# Webhook receivers on private or loopback addresses are refused unless this says otherwise
# (a webhook must not be a way into the deployment's own network).
ASTRAL_WEBHOOKS_ALLOW_PRIVATE = env.bool("ASTRAL_WEBHOOKS_ALLOW_PRIVATE", default=False)
# API.md §5: each API key's (and each person's token's) requests a minute, in the headers.
ASTRAL_API_BUDGET_PER_MINUTE = env.int("ASTRAL_API_BUDGET_PER_MINUTE", default=1200)
ASTRAL_IMPORT_MAX_BYTES = env.int("ASTRAL_IMPORT_MAX_BYTES", default=1024 * 1024 * 1024)
# A JSON body: 100,000 samples of an activity fit in 16 MB; anything larger is refused by
# its Content-Length before it is read (astral/api/middleware.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads wait in a temporary file

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Production behind TLS is the default; `make run` (debug) and plain-HTTP benchmarks turn
# these off explicitly. HSTS is sent only on HTTPS requests (Django's SecurityMiddleware).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# X-Forwarded-Proto says "this came over HTTPS" only when a proxy Astral trusts set it; without
# one, any client could send it (and get secure-only treatment on plain HTTP).
if env.int("ASTRAL_TRUSTED_PROXIES", default=0) > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Logs go to stdout and, with ASTRAL_LOG_FILE, to that file too, rotated at 10 MB (5 kept).
LOG_FILE = env.str("ASTRAL_LOG_FILE", default="")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"timed": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "timed"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
}
if LOG_FILE:
    Path(LOG_FILE).parent.mkdir(parents=True, exist_ok=True)
    LOGGING["handlers"]["file"] = {
        "class": "logging.handlers.RotatingFileHandler",
        "filename": LOG_FILE,
        "maxBytes": 10 * 1024 * 1024,
        "backupCount": 5,
        "formatter": "timed",
    }
    LOGGING["root"]["handlers"].append("file")
