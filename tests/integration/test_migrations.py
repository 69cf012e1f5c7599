"""Migrations are history: frozen files that a fresh database and an upgraded one agree on.

- No migration imports the project's code: what an old migration creates cannot change when
  a model, a field or a SQL constant is edited later (issue 34).
- The kept SQL in the database is what the newest file of each `<app>/sql/<name>/`
  says (the drift test): a function edited in a file without a migration that loads it fails.
- A database migrated from the previous release's state to HEAD has the same schema as one
  migrated from nothing (the upgrade test).
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.db import connection, transaction

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(ROOT.glob("*/migrations/0*.py"))
KEPT_SQL = [ROOT / "athletes" / "sql", ROOT / "analytics" / "sql"]
# The leaf migrations of the last release (the state a running site upgrades from). Move it
# forward when a release ships.
PREVIOUS_RELEASE = {
    "athletes": "0017_user_version_forward",
    "organizations": "0003_invitation",
    "analytics": "0013_plan_rows",
}
ALLOWED_IMPORTS = ("django", "pathlib", "__future__")
# Every kept SQL file a migration loads, with the start of its SHA-256: such a file is history
# and never edited (a change is a new version and a new migration; analytics/sql/README.md).
FROZEN = {
    "analytics/sql/club_totals/0001.backfill.sql": "522db7d6a42a19bc",
    "analytics/sql/club_totals/0001.down.sql": "20be25f0ecd59489",
    "analytics/sql/club_totals/0001.sql": "91d3fd17392c2e05",
    "analytics/sql/effort_places/0001.backfill.sql": "f17fdf1a33e23023",
    "analytics/sql/effort_places/0001.down.sql": "515e9550d535963c",
    "analytics/sql/effort_places/0001.sql": "0a2fbdcde275699e",
    "analytics/sql/effort_places/0002.sql": "3eef616dfeddcfb3",
    "analytics/sql/month_totals/0001.backfill.sql": "6e2679339a231368",
    "analytics/sql/month_totals/0001.down.sql": "6b4896965511a5cf",
    "analytics/sql/month_totals/0001.sql": "dda276dd8e3e666a",
    "analytics/sql/plan_rows/0001.backfill.sql": "1aa543ec2edc40d2",
    "analytics/sql/plan_rows/0001.down.sql": "4f4db0477df188bc",
    "analytics/sql/plan_rows/0002.sql": "9b023da0f036b24e",
    "analytics/sql/plan_rows/0001.sql": "47c81c022f52f8da",
    "analytics/sql/roster_rows/0001.backfill.sql": "82e6d3638485516f",
    "analytics/sql/roster_rows/0001.down.sql": "5b7f1f9ebc170596",
    "analytics/sql/roster_rows/0001.sql": "66129fabe0ce9e98",
    "athletes/sql/plan_revision/0001.down.sql": "b7447164c6df9983",
    "athletes/sql/plan_revision/0001.sql": "9b366764a9982809",
    "athletes/sql/user_version/0001.down.sql": "96fbe190a7ef6674",
    "athletes/sql/user_version/0001.sql": "b648026c616658b2",
}


def test_the_migrations_are_found():
    assert len(MIGRATIONS) > 30
    assert {p.parent.parent.name for p in MIGRATIONS} == {"athletes", "organizations", "analytics"}


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_no_migration_imports_app_code(path):
    imported = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
    foreign = [m for m in imported if m.split(".")[0] not in ALLOWED_IMPORTS]
    assert foreign == [], f"{path.name} imports {foreign}: copy what it needs into the migration"


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.prokind = 'f'"
        )
        found = {f"function {name}": body for name, body in cursor.fetchall()}
        cursor.execute(
            "SELECT t.tgname || ' ON ' || t.tgrelid::regclass::text, pg_get_triggerdef(t.oid) "
            "FROM pg_trigger t WHERE NOT t.tgisinternal"
        )
        found.update({f"trigger {name}": body for name, body in cursor.fetchall()})
    return found


def test_kept_sql_files_are_frozen():
    found = {
        str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()[:16]
        for root in KEPT_SQL
        for p in sorted(root.glob("*/*.sql"))
    }
    edited = sorted(k for k in FROZEN if found.get(k) != FROZEN[k])
    assert edited == [], f"frozen files edited or removed: {edited}"
    loaded = " ".join(p.read_text() for p in MIGRATIONS)
    unloaded = sorted(k for k in found if k.split("/", 2)[2] not in loaded)
    assert unloaded == [], f"no migration loads {unloaded}"


def newest_files() -> list[Path]:
    newest = []
    folders = sorted(p for root in KEPT_SQL for p in root.iterdir() if p.is_dir())
    assert len(folders) >= 7
    for folder in folders:
        versions = sorted(folder.glob("[0-9][0-9][0-9][0-9].sql"))
        assert versions, f"{folder} holds no version"
        newest.append(versions[-1])
    return newest


@pytest.mark.django_db(transaction=True)
def test_the_database_runs_the_newest_kept_sql():
    before = _definitions()
    assert any(name.startswith("trigger roster_") for name in before)
    assert any(name.startswith("function astral_effort_places") for name in before)
    with transaction.atomic():
        with connection.cursor() as cursor:
            for path in newest_files():
                cursor.execute(path.read_text())
        after = _definitions()
        transaction.set_rollback(True)
    changed = sorted(k for k in after if before.get(k) != after[k])
    assert changed == [], f"the newest files define these differently: {changed}"


def _url(database: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{database}"))


def _schema(url: str) -> str:
    pg_dump = Path(os.environ.get("ASTRAL_PG_BIN", "/usr/bin")) / "pg_dump"
    dump = subprocess.run(
        [str(pg_dump), "--schema-only", "--no-owner", "--no-privileges", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [ln for ln in dump.splitlines() if ln and not ln.startswith(("--", "\\restrict"))]
    lines = [ln for ln in lines if not ln.startswith("\\unrestrict")]
    return "\n".join(lines)


def _migrate(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "astral.test_settings"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0", *args],
        cwd=ROOT,
        env=env,
        check=True,
    )


@pytest.mark.django_db(transaction=True)
def test_an_upgraded_database_equals_a_fresh_one(django_db_blocker):
    """Two scratch databases: one migrated to the previous release and then to HEAD, one
    migrated from nothing. Their schemas (tables, constraints, indexes, functions, triggers)
    must be the same text."""
    names = ("astral_upgrade_old", "astral_upgrade_new")
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
            cursor.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    try:
        old, new = (_url(name) for name in names)
        for app, target in PREVIOUS_RELEASE.items():
            _migrate(old, app, target)
        _migrate(old)
        _migrate(new)
        upgraded, fresh = _schema(old), _schema(new)
        assert re.search(r"CREATE FUNCTION public\.astral_roster_sync", fresh)
        assert upgraded == fresh
    finally:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.django_db
def test_instances_keep_every_planned_date_when_day_one_becomes_monday(cast):
    """Migration 0021: before, day 1 was the start date; now it is Monday. An instance that
    started on a Wednesday gets its own copy of the plan, shifted, so every workout stays on
    the date it had; an instance that started on a Monday keeps the plan as it was."""
    from datetime import date, timedelta
    from importlib import import_module

    from django.apps import apps

    from athletes.models import Plan, PlanInstance, PlannedWorkout
    from metrics.plans import workout_date

    plan = Plan.objects.create(organization=cast.riverside, name="Block", total_weeks=2)
    for week, day in ((1, 1), (1, 5), (2, 7)):
        PlannedWorkout.objects.create(plan=plan, week=week, day=day, distance=8000)
    wednesday, monday = date(2026, 12, 9), date(2026, 12, 7)
    moved = PlanInstance.objects.create(plan=plan, user=cast.alice, start_date=wednesday)
    kept = PlanInstance.objects.create(plan=plan, user=cast.bob, start_date=monday)
    # The old rule, by hand: start + 7·(week − 1) + (day − 1).
    before = {
        wednesday + timedelta(days=7 * (w - 1) + (d - 1)) for w, d in ((1, 1), (1, 5), (2, 7))
    }
    assert before == {date(2026, 12, 9), date(2026, 12, 13), date(2026, 12, 22)}

    import_module("athletes.migrations.0021_weekday_plans_and_steps").shift_instances(apps, None)

    moved.refresh_from_db()
    kept.refresh_from_db()
    assert kept.plan_id == plan.pk and moved.plan_id != plan.pk
    after = {workout_date(wednesday, w.week, w.day) for w in moved.plan.workouts.all()}
    assert after == before
    assert moved.plan.total_weeks == 3  # 22 Dec is in the third ISO week from 7 Dec
    assert sorted((w.week, w.day) for w in plan.workouts.all()) == [(1, 1), (1, 5), (2, 7)]
