"""Schemathesis against Astral's own OpenAPI schema, as an athlete, a coach and an API key,
with every check on, in process (the suite) or against a live gunicorn with a Celery worker
(`make fuzz`): no 5xx; every response as the schema says (statuses, content types,
headers, bodies, and so every error in the API.md shape); schema-valid data accepted and
schema-invalid data refused; authentication enforced.

The one allowance: a rule JSON Schema cannot state (between two fields, or against what is
stored) may refuse schema-valid data with a 400 naming that rule's field. Each is listed in
RULES_BEYOND_THE_SCHEMA with where API.md states it; anything else refused is a lie in the
schema."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import bearer
from tests.servers import gunicorn
from tests.workers import celery_worker


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a request must not close the test's DB connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/v1/schema", get_wsgi_application())
# `make fuzz`: the same schema, sent over HTTP to gunicorn as deployed (production settings,
# Celery tasks on the broker for a real worker), on the test database.
LIVE = bool(os.environ.get("ASTRAL_FUZZ_LIVE"))
if LIVE:
    schema = schemathesis.openapi.from_dict(schema.raw_schema)

RULES_BEYOND_THE_SCHEMA = {
    # API.md "Activities": elapsed time is at least the moving duration.
    # and the maximum heart rate is not below the average.
    # athletes/plausibility.py: a speed some athlete can run, a start after 1970 and not
    # ahead, and samples in time order.
    ("POST", "/api/v1/activities"): {
        "elapsed_time",
        "max_heart_rate",
        "distance",
        "start_time",
        "samples",
    },
    # API.md §5: the same rules as POST /activities, for the run an integration names.
    ("PUT", "/api/v1/activities/by_external_id/{source}/{external_id}"): {
        "elapsed_time",
        "max_heart_rate",
        "distance",
        "start_time",
        "samples",
    },
    ("PATCH", "/api/v1/activities/{activity_id}"): {
        "elapsed_time",
        "max_heart_rate",
        "distance",
        "start_time",
        "samples",
    },
    # API.md "Activities": what a file holds is read, not described (415 wrong type, 413
    # too large, 400 damaged).
    ("POST", "/api/v1/activities/upload"): {"file"},
    ("POST", "/api/v1/activities/import"): {"file"},
    # API.md "Users": zone bounds strictly ascending.
    # and a picture's address is one Django's URL validator takes (stricter than "uri");
    # `preferences` is free-form JSON whose strings, however deep, hold no NUL.
    ("PATCH", "/api/v1/users/me"): {"hr_zones", "pace_zones", "profile_image_url", "preferences"},
    # API.md §4 running_stats: the window runs forwards, at most 365 days, ≤ 7 days ahead.
    ("GET", "/api/v1/analytics/running_stats"): {"to_timestamp"},
    # API.md §4: `to` is not before `from`, at most 400 days after it.
    ("GET", "/api/v1/analytics/activity_stats"): {"to"},
    ("GET", "/api/v1/analytics/health_metrics"): {"to"},
    ("GET", "/api/v1/analytics/calendar"): {"from", "to"},  # and both or neither
    # API.md §4 coach_athletes_metrics: the coach filter names a coach of the organization,
    # and `group_id` together with `unassigned_only=1` is 400; docs/api.md: `filter_by_coach`
    # needs a signed-in coach (it depends on the credential, which JSON Schema cannot see).
    ("GET", "/api/v1/analytics/coach_athletes_metrics"): {
        "assigned_coach_id",
        "unassigned_only",
        "filter_by_coach",
    },
    # API.md §4 group_comparison (and group_stats, read the same way): `period=custom` needs
    # `from` and `to`, at most 400 days apart.
    ("GET", "/api/v1/analytics/group_comparison"): {"from", "to"},
    ("GET", "/api/v1/analytics/group_stats"): {"from", "to"},
    # API.md "Auth": the current password must be the account's.
    ("POST", "/api/v1/auth/password"): {"current_password", "new_password"},
    ("DELETE", "/api/v1/users/me"): {"password"},
    # A token exists only in the e-mail that carried it.
    ("POST", "/api/v1/auth/password/reset/confirm"): {"token", "new_password"},
    ("POST", "/api/v1/auth/verify_email/confirm"): {"token"},
    ("POST", "/api/v1/auth/register"): {"password"},
    # API.md "Goals and plans": a workout's week is within the plan's weeks.
    ("POST", "/api/v1/plans"): {"workouts"},
    # API.md §5: a cursor is one the API gave (opaque); `updated_since` an instant that
    # exists (the schema's pattern cannot say which days a month has).
    ("GET", "/api/v1/changes"): {"cursor"},
    # API.md §5: a webhook's receiver is an http or https address.
    ("POST", "/api/v1/organizations/{org_id}/webhooks"): {"url"},
    ("GET", "/api/v1/activities"): {"updated_since", "cursor"},
    ("GET", "/api/v1/goals"): {"updated_since", "cursor"},
    ("GET", "/api/v1/plans"): {"updated_since", "cursor"},
    ("GET", "/api/v1/plan_instances"): {"updated_since", "cursor"},
    ("GET", "/api/v1/health_metrics"): {"updated_since", "cursor"},
    ("GET", "/api/v1/organizations"): {"cursor"},
    ("GET", "/api/v1/invitations"): {"cursor"},
    ("GET", "/api/v1/organizations/{org_id}/members"): {"cursor"},
    ("GET", "/api/v1/organizations/{org_id}/invitations"): {"cursor"},
    ("GET", "/api/v1/organizations/{org_id}/groups"): {"cursor"},
    ("GET", "/api/v1/organizations/{org_id}/api_keys"): {"cursor"},
    ("GET", "/api/v1/organizations/{org_id}/webhooks"): {"cursor"},
    ("GET", "/api/v1/organizations/{org_id}/webhooks/{webhook_id}/deliveries"): {"cursor"},
}


def _field_named_by(response) -> str:
    try:
        return response.json()["details"].get("field", "") or ""
    except (ValueError, KeyError, AttributeError):
        return ""


def _body_fields(case) -> set[str]:
    """The top-level fields of the operation's body, across its shapes (`oneOf`)."""
    components = schema.raw_schema["components"]["schemas"]

    def resolve(shape):
        return components[shape["$ref"].split("/")[-1]] if "$ref" in shape else shape

    body = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    fields: set[str] = set()
    for content in body.values():
        shape = resolve(content.get("schema", {}))
        for each in [shape, *map(resolve, shape.get("oneOf", []))]:
            fields |= set(each.get("properties", {}))
    return fields


@schemathesis.check
def valid_data_accepted(ctx, response, case):
    """positive_data_acceptance, but for the listed rules beyond the schema."""
    allowed = RULES_BEYOND_THE_SCHEMA.get((case.method.upper(), case.path), set())
    field = _field_named_by(response)
    if response.status_code in (400, 413, 415) and field.split("[")[0].split(".")[0] in allowed:
        return None
    return positive_data_acceptance(ctx, response, case)


EXAMPLES = int(os.environ.get("ASTRAL_FUZZ_EXAMPLES", "6"))  # `make fuzz` runs more
# The suite's sample is fixed (a red CI run is reproducible); `make fuzz` draws fresh ones.
FRESH = bool(os.environ.get("ASTRAL_FUZZ_FRESH"))


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """The live service's address under `make fuzz`; None in process."""
    if not LIVE:
        yield None
        return
    broker = os.environ["CELERY_BROKER_URL"]
    with (
        django_db_blocker.unblock(),
        gunicorn(workers=2, CELERY_BROKER_URL=broker) as (base, _master),
        celery_worker("fuzz-worker", settings_module="astral.settings") as worker_log,
    ):
        yield base
    # What the requests sent to the worker ran there, and none of it failed.
    log = worker_log.read_text()
    assert "Traceback" not in log and " ERROR/" not in log, log[-4000:]


# Live, the cast must be committed for gunicorn to see it.
@pytest.mark.django_db(transaction=LIVE)
@pytest.mark.parametrize("caller", ["athlete", "coach", "api_key"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not FRESH,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, caller, cast, server):
    headers = {
        "athlete": bearer(cast.alice),
        "coach": bearer(cast.cora),
        "api_key": {"X-API-Key": cast.riverside_key},
    }[caller]
    if caller == "api_key":
        # API.md §5: an API key names the athlete; a person's token defaults to themselves.
        if any(p.name == "user_id" for p in case.operation.query):
            case.query = {"user_id": cast.alice.public_id, **(case.query or {})}
        if "user_id" in _body_fields(case) or "entries" in _body_fields(case):
            if isinstance(case.body, dict) and isinstance(case.body.get("entries"), list):
                for entry in case.body["entries"]:
                    if isinstance(entry, dict):
                        entry.setdefault("user_id", cast.alice.public_id)
            elif isinstance(case.body, dict):
                case.body.setdefault("user_id", cast.alice.public_id)
            elif case.body is NOT_SET:
                case.body = {"user_id": cast.alice.public_id}
    # The in-process WSGI transport does not undo Content-Encoding; gzip has its own test.
    case.call_and_validate(
        base_url=server,
        headers={**headers, "Accept-Encoding": "identity"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[valid_data_accepted],
    )
