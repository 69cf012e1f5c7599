"""Issue 38: backups are written down and tested. `make backup` and `make restore` (scripts/
run.py backup|restore) on the configured database: a restore into an empty database
reproduces every row of every table, the kept totals, the club's rules and the triggers that
keep them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection

from tests.factories import add_member, make_org, make_user
from tests.servers import ROOT, database_url

pytestmark = pytest.mark.django_db(transaction=True)


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the schema: its row count and a digest of all its rows."""
    with psycopg.connect(url, autocommit=True) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        out = {}
        for table in tables:
            count, digest = db.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: S608
            ).fetchone()
            out[table] = (count, digest)
        return out


def script(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "scripts/run.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_a_restore_reproduces_every_row_and_kept_total(cast, tmp_path):
    from athletes.services.activities import activity_create

    start = datetime(2026, 11, 2, 7, tzinfo=UTC)
    for day in range(12):  # runs, so the kept weekly and club totals hold something
        activity_create(
            user=cast.alice,
            fields={"start_time": start + timedelta(days=day), "distance": 8000.0 + day * 100,
                    "duration": 2400.0 + day * 30},
        )  # fmt: skip
    add_member(make_org("Third Club"), make_user("third"), "owner")
    source = database_url()
    before = fingerprint(source)
    assert before["athletes_activity"][0] == 12

    dump = tmp_path / "astral.dump"
    made = script("backup", str(dump), url=source)
    assert made.returncode == 0, made.stderr
    target_name = f"{connection.settings_dict['NAME']}_restored"
    admin_url = source.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{target_name}"')
        db.execute(f'CREATE DATABASE "{target_name}"')
    target = source.rsplit("/", 1)[0] + "/" + target_name
    try:
        restored = script("restore", str(dump), url=target)
        assert restored.returncode == 0, restored.stderr
        after = fingerprint(target)
        assert after == before
        # The rules came back too: a coach of another club cannot be assigned.
        with (
            psycopg.connect(target, autocommit=True) as db,
            pytest.raises(psycopg.errors.CheckViolation),
        ):
            db.execute(
                "UPDATE organizations_membership SET assigned_coach_id = %s WHERE user_id = %s",
                [cast.olga.pk, cast.alice.pk],
            )
    finally:
        with psycopg.connect(admin_url, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
