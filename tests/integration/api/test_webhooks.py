"""Issue 37, API.md §5 webhooks, with a real HTTP receiver on loopback: each change is POSTed
signed with the webhook's secret; while the receiver is down the changes wait (each attempt
listed as a delivery); once it is back, every change arrives, in order, exactly once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from organizations.webhooks import webhooks_deliver
from tests.conftest import assert_error
from tests.servers import free_port

pytestmark = pytest.mark.django_db


class Receiver:
    """An integration's endpoint: keeps what it was sent, answers 204."""

    def __init__(self, port: int) -> None:
        self.port, self.got, self.server = port, [], None

    def start(self) -> None:
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                got.append((self.headers["X-Astral-Signature"], body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run(api, day: int) -> str:
    return api.post(
        "/api/v1/activities",
        {"start_time": f"2026-11-{day:02d}T07:00:00Z", "distance": 5000, "duration": 1500},
    ).json()["data"]["activity_id"]


def test_every_change_reaches_the_receiver_signed_once_even_across_an_outage(cast):
    receiver = Receiver(free_port())
    receiver.start()
    owner = cast.api(cast.cora)
    url = f"/api/v1/organizations/{cast.riverside.public_id}/webhooks"
    made = owner.post(
        url, {"url": f"http://127.0.0.1:{receiver.port}/astral", "events": ["activity"]}
    )
    assert made.status_code == 201
    hook, secret = made.json()["data"], made.json()["data"]["secret"]
    assert len(secret) == 64 and "secret" not in owner.get(url).json()["data"]["webhooks"][0]

    alice = cast.api(cast.alice)
    first = [run(alice, day) for day in (1, 2, 3)]
    now = timezone.now()
    assert webhooks_deliver(now=now) == 3
    for signed, body in receiver.got:
        assert signed == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert [json.loads(b)["id"] for _, b in receiver.got] == first
    assert {json.loads(b)["change"] for _, b in receiver.got} == {"created"}

    # The receiver goes down: two runs and a deletion wait, each attempt kept.
    receiver.stop()
    later = [run(alice, day) for day in (4, 5)]
    alice.delete(f"/api/v1/activities/{first[0]}")
    assert webhooks_deliver(now=now) == 0
    assert webhooks_deliver(now=now + timedelta(seconds=30)) == 0  # not due before its backoff
    deliveries = owner.get(f"{url}/{hook['webhook_id']}/deliveries").json()["data"]["deliveries"]
    assert deliveries[0]["status"] == "failed" and deliveries[0]["attempt"] == 1

    # Back: everything that waited, in order, once; nothing before it again.
    receiver.got.clear()
    receiver.start()
    assert webhooks_deliver(now=now + timedelta(minutes=2)) == 3
    assert [(json.loads(b)["id"], json.loads(b)["change"]) for _, b in receiver.got] == [
        (later[0], "created"),
        (later[1], "created"),
        (first[0], "deleted"),
    ]
    assert webhooks_deliver(now=now + timedelta(minutes=3)) == 0
    assert len(receiver.got) == 3
    receiver.stop()

    # Another club's coach can neither list nor read this club's webhooks.
    assert cast.api(cast.olga).get(url).status_code == 403
    # An athlete is not the owner.
    assert_error(cast.api(cast.alice).get(url), 403)


def test_a_receiver_down_for_a_day_gives_the_change_up_and_goes_on(cast):
    owner = cast.api(cast.cora)
    url = f"/api/v1/organizations/{cast.riverside.public_id}/webhooks"
    port = free_port()  # nobody listens
    owner.post(url, {"url": f"http://127.0.0.1:{port}/x"})
    run(cast.api(cast.alice), 1)
    now = timezone.now()
    assert webhooks_deliver(now=now) == 0
    assert webhooks_deliver(now=now + timedelta(hours=25)) == 0
    hook = owner.get(url).json()["data"]["webhooks"][0]
    statuses = [
        d["status"]
        for d in owner.get(f"{url}/{hook['webhook_id']}/deliveries").json()["data"]["deliveries"]
    ]
    assert statuses[0] == "gave_up" and "failed" in statuses
    assert hook["failing_since"] is None
    bad = owner.post(url, {"url": "ftp://example.com/x"})
    assert_error(bad, 400, None, "url")
