"""Schemathesis against Astral's own OpenAPI schema, as an athlete, a coach and an API key:
no 5xx, every response as the schema says (statuses, content types, bodies), and so every
error in the API.md shape (the schema declares it for every error status)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import bearer


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a request must not close the test's DB connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/v1/schema", get_wsgi_application())

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("ASTRAL_FUZZ_EXAMPLES", "6"))  # `make fuzz` runs more


@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["athlete", "coach", "api_key"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, caller, cast):
    headers = {
        "athlete": bearer(cast.alice),
        "coach": bearer(cast.cora),
        "api_key": {"X-API-Key": cast.riverside_key},
    }[caller]
    # The in-process WSGI transport does not undo Content-Encoding; gzip has its own test.
    case.call_and_validate(headers={**headers, "Accept-Encoding": "identity"}, checks=CHECKS)
