"""The cast: Riverside Runners (owner Cora, athletes Alice and Bob), Hilltop Harriers
(coach Olga, athlete Dave), and Charlie, who belongs to no club."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from athletes.models import User
from organizations.models import Organization, Role
from tests import answers
from tests.factories import add_member, make_api_key, make_org, make_user

answers.install()  # every API answer a test receives is checked against the schema

ROOT = Path(__file__).resolve().parents[1]
# The real device files live in ../shared/data/activities/ beside the repository.
ACTIVITY_FILES = (
    Path(os.environ.get("ASTRAL_SHARED_DIR", ROOT.parent / "shared")) / "data" / "activities"
)


UNIT = ROOT / "tests" / "unit"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """The pure tests run anywhere; everything else needs the real services, loudly."""
    needs_services = any(UNIT not in Path(item.path).parents for item in items)
    if needs_services and not settings.ASTRAL_TEST_SERVICES:
        raise pytest.UsageError(
            "The suite runs on real PostgreSQL and Redis: use `make test` "
            "(or set DATABASE_URL and REDIS_URL yourself; `pytest tests/unit` needs neither)."
        )


class Api:
    """An API client that speaks as one caller and parses the JSON answers."""

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        self.client = APIClient()
        self.headers = headers or {}

    def _call(self, method: str, path: str, data: Any = None, **kwargs: Any) -> Any:
        fmt = kwargs.pop("format", "json")
        call = getattr(self.client, method)
        if method in ("get", "delete") and data is not None:
            return call(path, data, headers=self.headers, **kwargs)
        return call(path, data, format=fmt, headers=self.headers, **kwargs)

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self._call("get", path, params, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        return self._call("post", path, data, **kwargs)

    def patch(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        return self._call("patch", path, data, **kwargs)

    def put(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        return self._call("put", path, data, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self._call("delete", path, None, **kwargs)


def signed_in(user: User) -> Client:
    """A browser session of this person (the pages' tests)."""
    client = Client()
    client.force_login(user)
    return client


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


@dataclass
class Cast:
    riverside: Organization
    hilltop: Organization
    cora: User  # owner of Riverside
    alice: User  # athlete of Riverside
    bob: User  # athlete of Riverside
    olga: User  # coach of Hilltop
    dave: User  # athlete of Hilltop
    charlie: User  # no club
    riverside_key: str
    hilltop_key: str

    def api(self, who: User | str | None) -> Api:
        if who is None:
            return Api()
        if isinstance(who, str):
            return Api({"X-API-Key": who})
        return Api(bearer(who))


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def cast(db: Any) -> Cast:
    riverside = make_org("Riverside Runners")
    hilltop = make_org("Hilltop Harriers")
    cora = make_user("cora", display_name="Cora Coach")
    alice = make_user("alice", display_name="Alice Andersen", timezone="America/Chicago")
    bob = make_user("bob", display_name="Bob Brown")
    olga = make_user("olga", display_name="Olga Other")
    dave = make_user("dave", display_name="Dave Dale")
    charlie = make_user("charlie", display_name="Charlie Solo")
    add_member(riverside, cora, Role.OWNER)
    add_member(riverside, alice, Role.ATHLETE, assigned_coach=cora)
    add_member(riverside, bob, Role.ATHLETE)
    add_member(hilltop, olga, Role.COACH)
    add_member(hilltop, dave, Role.ATHLETE)
    return Cast(
        riverside=riverside,
        hilltop=hilltop,
        cora=cora,
        alice=alice,
        bob=bob,
        olga=olga,
        dave=dave,
        charlie=charlie,
        riverside_key=make_api_key(riverside),
        hilltop_key=make_api_key(hilltop),
    )


def assert_error(
    response: Any, status: int, code: str | None = None, field: str | None = None
) -> dict[str, Any]:
    """API.md §1: `{"error": str, "details": {"code", "field"}}`, JSON, never HTML."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "details"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["details"]["code"], str)
    if code is not None:
        assert body["details"]["code"] == code, body
    if field is not None:
        assert body["details"].get("field") == field, body
    return body


def rows_read(plan: dict[str, Any], table: str) -> int:
    """The rows an EXPLAIN (ANALYZE, FORMAT JSON) plan node and those under it read from
    `table`, kept or filtered out, over all their loops."""
    own = 0
    if plan.get("Relation Name") == table:
        kept_or_not = plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)
        own = kept_or_not * plan["Actual Loops"]
    return own + sum(rows_read(child, table) for child in plan.get("Plans", []))
