"""The benchmark's settings and environment: sizes, the key, where results go.

Imported first by bench/run.py: it sets the environment up and Django with it."""

from __future__ import annotations

import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "astral.settings")
os.environ.setdefault("ASTRAL_API_BUDGET_PER_MINUTE", "100000000")  # the service, not the budget
# Plain HTTP on loopback: production settings otherwise, without the TLS redirect.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))  # shared with gunicorn
os.environ.update(
    DJANGO_SECURE_SSL_REDIRECT="0",
    DJANGO_SECURE_COOKIES="0",
    DJANGO_HSTS_SECONDS="0",
    DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
)

import django

django.setup()

API_KEY = "ak_bench_key_" + "0" * 30


# The trivial DRF view's throughput on the machine the budgets were measured on (the issue).
REFERENCE_CEILING = 3300


ATHLETES = int(os.environ.get("BENCH_ATHLETES", "1000"))


DAYS = int(os.environ.get("BENCH_DAYS", "730"))


OUT = ROOT / "bench-output"


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)
