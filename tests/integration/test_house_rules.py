"""One place for each rule (issue 34): what a newcomer would otherwise have to find in five
modules, and what a later change would silently break."""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings

from analytics.roster import RosterFilters
from astral import cache
from astral.celery import TASKS
from astral.celery import app as celery_app
from athletes.models import User
from organizations.models import Group
from tests.conftest import ACTIVITY_FILES

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = [
    p
    for package in ("astral", "athletes", "organizations", "analytics", "api", "pages", "metrics")
    for p in (ROOT / package).rglob("*.py")
    if "migrations" not in p.parts
]


def _offenders(pattern: str, allowed: set[str]) -> list[str]:
    found = []
    for path in APP_CODE:
        rel = str(path.relative_to(ROOT))
        if rel not in allowed and re.search(pattern, path.read_text()):
            found.append(rel)
    return sorted(found)


def test_each_task_name_resolves_to_a_registered_task():
    for name in TASKS:
        importlib.import_module(name.rsplit(".", 1)[0])
        assert name in celery_app.tasks, name
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in TASKS


def test_task_names_are_written_once():
    assert _offenders(r'"\w+\.tasks\.\w+"', {"astral/celery.py", "astral/settings/base.py"}) == []


def test_cache_keys_and_lifetimes_are_built_only_in_astral_cache():
    assert _offenders(r"\bmake_key\(", {"astral/cache.py"}) == []
    assert _offenders(r"^\w*TTL\w* = ", {"astral/cache.py"}) == []


def test_the_api_s_text_fields_take_strings_only():
    """Every text field of the API is one of astral.api.requests' (StrictText): DRF's own
    coerce a number or a boolean to text, which the schema says is refused."""
    pattern = r"serializers\.(CharField|RegexField|EmailField|URLField|SlugField)\("
    assert _offenders(pattern, {"astral/api/requests.py"}) == []


@pytest.mark.django_db
def test_a_number_is_not_text_anywhere(cast):
    api = cast.api(cast.alice)
    for field, value in (("username", 12345), ("display_name", 7), ("profile_image_url", 1)):
        response = api.patch("/api/v1/users/me", {field: value}, format="json")
        assert response.status_code == 400, field
        assert response.json()["details"]["field"] == field


def test_local_today_is_the_only_today():
    pattern = r"timezone\.localdate\(|date\.today\(|\.now\([^)]*\)\.date\(\)"
    assert _offenders(pattern, {"astral/localtime.py"}) == []


@pytest.mark.django_db
def test_every_roster_filter_is_part_of_the_cache_key():
    """A filter added to RosterFilters and left out of the key would serve one coach's
    filtered page to another filter: each field, changed alone, changes the key."""
    coach = User.objects.create_user("k", "k@example.com", "x")
    group = Group(public_id="grp_x", name="x")
    changed = {
        "coach": coach,
        "group": group,
        "unassigned_only": True,
        "search": "ann",
        "label": "injured",
        "ordering": "-weekly_distance",
    }
    assert {f.name for f in dataclasses.fields(RosterFilters)} == set(changed)
    from django.utils import timezone

    slot = timezone.now()
    base = cache.roster_key("u", "org_1", slot, RosterFilters().cache_parts(), 1, 50)
    for name, value in changed.items():
        other = RosterFilters(**{name: value})
        assert cache.roster_key("u", "org_1", slot, other.cache_parts(), 1, 50) != base, name
    # the search matches without case, and so does its key
    same = cache.roster_key("u", "org_1", slot, RosterFilters(search="ANN").cache_parts(), 1, 50)
    assert same == cache.roster_key(
        "u", "org_1", slot, RosterFilters(search="ann").cache_parts(), 1, 50
    )


def test_a_web_worker_loads_the_file_readers_only_when_it_reads_a_file():
    """Issue 36 (a gunicorn worker within 150 MB): the app as a worker loads it, every URL
    resolved, carries neither the GPX/TCX readers nor the calendar feed's library (about
    20 MB); they come with the first file or feed that needs them."""
    import os
    import subprocess
    import sys

    probe = (
        "import sys, django; django.setup();"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "print(sorted(m for m in ('lxml', 'gpxpy', 'icalendar') if m in sys.modules));"
        "from athletes.files import parse; parse('.gpx', open(sys.argv[1], 'rb').read());"
        "print(sorted(m for m in ('lxml', 'gpxpy') if m in sys.modules))"
    )
    sample = next(
        p
        for p in sorted(ACTIVITY_FILES.glob("*.gpx"))
        if p.stat().st_size < 2_000_000  # any small real file
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(sample)],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "astral.settings",
            "DJANGO_SECRET_KEY": "t" * 50,
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out == ["[]", "['lxml']"]
