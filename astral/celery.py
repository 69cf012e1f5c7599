"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly in the web process."""

import importlib
import logging
import os
import time
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "astral.settings")

app = Celery("astral")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# A broker that stops answering costs one socket timeout (settings), then is not tried for
# this long: writes never wait on it. What was not enqueued is done by the read-time
# freshness check and the hourly refresh.
BROKER_BREAKER_SECONDS = 5.0
_broker_down_until = 0.0


# Every task Astral sends, by name: lower layers send them without importing the module that
# defines them (tests/integration/analytics/test_celery_and_lost_services.py checks each
# resolves to a registered task).
REFRESH_SNAPSHOT = "analytics.tasks.refresh_snapshot"
REFRESH_ALL_SNAPSHOTS = "analytics.tasks.refresh_all_snapshots"
FORGET_CACHE_TOKENS = "analytics.tasks.forget_cache_tokens"
IMPORT_FILE = "athletes.tasks.import_file"  # one file: tasks sent before IMPORT_FILES
IMPORT_FILES = "athletes.tasks.import_files"
IMPORT_ARCHIVE = "athletes.tasks.import_archive"
FINISH_STALLED_IMPORTS = "athletes.tasks.finish_stalled_imports"
PRUNE_CHANGES = "athletes.tasks.prune_changes"
DELIVER_WEBHOOKS = "organizations.tasks.deliver_webhooks"
TASKS = (
    REFRESH_SNAPSHOT,
    REFRESH_ALL_SNAPSHOTS,
    FORGET_CACHE_TOKENS,
    IMPORT_FILE,
    IMPORT_FILES,
    IMPORT_ARCHIVE,
    PRUNE_CHANGES,
    DELIVER_WEBHOOKS,
    FINISH_STALLED_IMPORTS,
)


def enqueue(task_name: str, args: tuple[Any, ...], countdown: float | None = None) -> bool:
    """Sends a task by name; False (logged) when the broker is away. Never raises."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        # A task's name is its module and function: importing the module registers it here
        # (a web process never runs the worker's autodiscovery).
        importlib.import_module(task_name.rsplit(".", 1)[0])
        app.tasks[task_name].apply_async(args, countdown=countdown)
    except Exception:
        _broker_down_until = time.monotonic() + BROKER_BREAKER_SECONDS
        logger.warning("could not enqueue %s; broker skipped for a while", task_name, exc_info=True)
        return False
    return True
