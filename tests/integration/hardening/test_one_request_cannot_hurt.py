"""No single request can hurt the service, tried as an attacker would: against a real
gunicorn worker on the test database, over HTTP.

- A 675 KB `.gpx.gz` expanding to 190 MB grew a worker to 3.2 GB and answered an HTML 500.
- With Redis frozen (the process stopped, not killed) a `POST /activities` took 30 s and
  answered 500 although the row was committed.
"""

from __future__ import annotations

import gzip
import io
import json
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from athletes.models import Activity
from tests.factories import make_user
from tests.servers import call, free_port, gunicorn

pytestmark = pytest.mark.django_db(transaction=True)


def worker_pid(master: subprocess.Popen[bytes]) -> int:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return int(children[0])


def peak_rss_mb(pid: int) -> float:
    """The most memory the process ever held (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    body.write(f"--{boundary}\r\n".encode())
    body.write(f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'.encode())
    body.write(b"Content-Type: application/octet-stream\r\n\r\n")
    body.write(content)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def gpx_bomb(megabytes: int) -> bytes:
    """A valid-looking GPX whose track points go on for `megabytes` MB, gzip-compressed."""
    point = b'<trkpt lat="45.0" lon="7.0"><time>2026-11-20T07:00:00Z</time></trkpt>\n'
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as stream:
        stream.write(b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>\n')
        chunk = point * 10_000
        for _ in range(megabytes * 1024 * 1024 // len(chunk)):
            stream.write(chunk)
        stream.write(b"</trkseg></trk></gpx>\n")
    return out.getvalue()


def bearer_for(user: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def test_a_gzip_bomb_is_refused_and_the_worker_stays_small():
    athlete = make_user("bomber")
    bomb = gpx_bomb(190)
    assert len(bomb) < 1_000_000  # under a megabyte on the wire
    body, content_type = multipart("run.gpx.gz", bomb)
    with gunicorn() as (base, master):
        status, headers, answer = call(
            base + "/api/v1/activities/upload",
            method="POST",
            body=body,
            headers={**bearer_for(athlete), "Content-Type": content_type},
        )
        peak = peak_rss_mb(worker_pid(master))
    assert status == 413, answer[:300]
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(answer)
    assert error["details"] == {"code": "FILE_TOO_LARGE", "field": "file"}
    assert peak < 300, f"the worker grew to {peak:.0f} MB"
    assert not Activity.objects.exists()


@contextmanager
def own_redis() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port, server
    finally:
        server.send_signal(signal.SIGCONT)
        server.kill()
        server.wait(timeout=10)


def test_with_redis_frozen_writes_and_reads_answer_at_once():
    athlete = make_user("frozen")
    headers = {**bearer_for(athlete), "Content-Type": "application/json"}
    with (
        own_redis() as (port, redis),
        gunicorn(
            REDIS_URL=f"redis://127.0.0.1:{port}/0", CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/1"
        ) as (base, _),
    ):
        stats = base + "/api/v1/analytics/fitness_stats"
        assert call(stats, headers=headers)[0] == 200  # connections to Redis are open
        redis.send_signal(signal.SIGSTOP)
        an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        run = {"start_time": an_hour_ago, "distance": 10000, "duration": 3000}
        started = time.monotonic()
        status, _, answer = call(
            base + "/api/v1/activities",
            method="POST",
            body=json.dumps(run).encode(),
            headers=headers,
        )
        write_seconds = time.monotonic() - started
        started = time.monotonic()
        read_status, _, read = call(stats + "?days=7", headers=headers)
        read_seconds = time.monotonic() - started
    assert status == 201, answer[:300]
    assert Activity.objects.filter(user=athlete).count() == 1
    assert write_seconds < 2, f"the write waited {write_seconds:.1f} s on a frozen Redis"
    assert read_status == 200
    assert json.loads(read)["data"]["total_distance"] == 10000  # read from PostgreSQL
    assert read_seconds < 2, f"the read waited {read_seconds:.1f} s on a frozen Redis"


def test_three_uploads_at_the_limits_leave_the_site_answering():
    """Issue 32: three GPX files at /upload's limits (25 MB, 200,000 points) at once, on
    three workers: `/healthz` answers in under a second throughout, and each upload gets
    its JSON answer (no gunicorn timeout page)."""
    import threading

    from bench.imports import largest_gpx

    content = largest_gpx()
    assert len(content) <= 25 * 1024 * 1024
    athletes = [make_user(f"big{n}") for n in range(3)]
    answers: list[tuple[int, Any, bytes]] = []
    waits: list[float] = []
    with gunicorn(workers=3) as (base, _master):

        def upload(athlete: Any) -> None:
            body, content_type = multipart(f"{athlete.username}.gpx", content)
            answers.append(
                call(
                    base + "/api/v1/activities/upload",
                    method="POST",
                    body=body,
                    headers={**bearer_for(athlete), "Content-Type": content_type},
                )
            )

        threads = [threading.Thread(target=upload, args=(a,)) for a in athletes]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            started = time.perf_counter()
            status, _, _ = call(base + "/healthz")
            waits.append(time.perf_counter() - started)
            assert status == 200
            time.sleep(0.1)
        for thread in threads:
            thread.join()
    assert len(waits) >= 5, "the uploads ended before /healthz was tried under them"
    assert max(waits) < 1.0, f"/healthz took {max(waits):.2f} s under three uploads"
    assert sorted(status for status, _, _ in answers) == [201, 201, 201], answers
    for _status, headers, answer in answers:
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(answer)["data"]["distance"] > 0
    assert Activity.objects.filter(user__in=athletes).count() == 3
