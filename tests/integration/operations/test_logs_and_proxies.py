"""Issue 38: logs an operator can keep, and proxy headers believed only from a proxy.

- logs went to stdout only (the cluster's access log to /dev/null);
- `X-Forwarded-Proto: https` was believed from anyone, with no proxy in front: a client on
  plain HTTP could pass for HTTPS.
"""

from __future__ import annotations

import pytest

from tests.servers import call, gunicorn

pytestmark = pytest.mark.django_db(transaction=True)


def test_logs_also_go_to_the_file_asked_for(tmp_path):
    log = tmp_path / "logs" / "astral.log"
    with gunicorn(ASTRAL_LOG_FILE=str(log)) as (base, _):
        assert call(base + "/api/v1/no-such-endpoint")[0] == 404
    assert "Not Found: /api/v1/no-such-endpoint" in log.read_text()


@pytest.mark.parametrize(("proxies", "believed"), [("0", False), ("1", True)])
def test_forwarded_https_is_believed_only_behind_a_trusted_proxy(proxies, believed):
    with gunicorn(ASTRAL_TRUSTED_PROXIES=proxies, DJANGO_HSTS_SECONDS="3600") as (base, _):
        _, headers, _ = call(base + "/healthz", headers={"X-Forwarded-Proto": "https"})
    # Django sends HSTS only on a request it takes for HTTPS.
    assert ("Strict-Transport-Security" in headers) is believed
