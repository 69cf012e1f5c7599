"""How a figure is taken: latency percentiles, wrk throughput, query counts, the SQL floor."""

from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.environment import API_KEY

TRIVIAL_PATH = "/healthz"  # the trivial DRF view: the framework's own cost, and the machine's


def _timed(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def latency(
    port: int,
    path: str,
    headers: dict[str, str],
    n: int = 40,
    before: Callable[[], None] | None = None,
) -> dict[str, float]:
    """p50 and p95 of `n` requests on one keep-alive connection; `before` runs ahead of
    each one, outside the timing (a write's invalidation, for a cache miss every time).

    `beside_ms`: the p50 of the trivial view, each of its requests sent right after one of
    the endpoint's on the same connection, so that both are timed at the same moment of the
    machine's speed. `relative` (p50 ÷ beside_ms) is what a growth verdict compares between
    club sizes: a size measured while the machine ran at 40 % speed has a slow trivial view
    beside it too (docs/benchmarks.md)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples, beside = [], []
    for index in range(n + 3):
        if before is not None:
            before()
        took = _timed(conn, path, headers)
        # Not beside a read after a write: its idle gap is part of what it measures.
        trivial = _timed(conn, TRIVIAL_PATH, {}) if before is None else None
        if index >= 3:  # the first requests warm connections and caches
            samples.append(took)
            if trivial is not None:
                beside.append(trivial)
    conn.close()
    samples.sort()
    p50 = statistics.median(samples)
    row = {"p50_ms": p50, "p95_ms": samples[int(len(samples) * 0.95) - 1]}
    if beside:
        row["beside_ms"] = statistics.median(beside)
        row["relative"] = p50 / row["beside_ms"]
    return row


def paired_latency(
    here: tuple[int, str, dict[str, str]], there: tuple[int, str, dict[str, str]], n: int = 100
) -> dict[str, float]:
    """The same answer from two servers side by side (port, path, headers each), request for
    request: each round asks both, which one first in turns, so both are timed at the same
    moments of the machine's speed and the ratio of their p50s is not the VM's drift between
    two measurements minutes apart (issue 36: a yardstick of a 1 ms trivial view moved the
    many-clubs ratios by a third)."""
    sides = (here, there)
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for port, _, _ in sides]
    samples: tuple[list[float], list[float]] = ([], [])
    for index in range(n + 3):
        took = {}
        for side in (0, 1) if index % 2 == 0 else (1, 0):
            _, path, headers = sides[side]
            took[side] = _timed(conns[side], path, headers)
        if index >= 3:  # the first requests warm connections and caches
            for side in (0, 1):
                samples[side].append(took[side])
    for conn in conns:
        conn.close()
    p50 = [statistics.median(s) for s in samples]
    return {"p50_ms": p50[0], "alone_p50_ms": p50[1], "ratio": p50[0] / p50[1]}


def wrk(
    port: int, path: str, headers: dict[str, str], seconds: int, connections: int = 16
) -> dict[str, Any]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0
    socket_errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)] if p99 else None
    return {"rps": rps, "errors": non2xx + socket_errors, "p99_ms": p99_ms}


def rps_text(row: dict[str, Any]) -> str:
    return f"{row['rps']:.0f}" if row.get("rps") else "–"


def query_count(
    path: str, headers: dict[str, str], before: Callable[[], None] | None = None
) -> int:
    client = Client(HTTP_HOST="127.0.0.1", headers=headers)
    client.get(path)
    if before is not None:
        before()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries.captured_queries)


def sql_floor(
    sql: str,
    params: Any,
    n: int = 15,
    before: Callable[[], None] | None = None,
    pause_ms: float = 0.0,
) -> float:
    """The statement's time from this process: sent, run, its rows fetched and decoded as
    the application's `fetch_rows` does. Back to back by default; with `before` and
    `pause_ms`, at the pace of `latency`'s requests: each run after `before` and a pause as
    long as a request, so PostgreSQL is as idle between two runs as between two requests
    (on this VM a round trip to an idle server costs 0.3–0.7 ms more than one to a busy
    one, measured in docs/benchmarks.md)."""
    from astral.db import fetch_rows

    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    samples = []
    for _ in range(n + 2):
        if before is not None:
            before()
        if pause_ms:
            time.sleep(pause_ms / 1000)
        started = time.perf_counter()
        fetch_rows("default", sql, params)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[2:])


def roster_statement() -> tuple[str, list[Any]]:
    """The statement of the first roster page of 200, by name, as the API sends it."""
    from analytics import roster
    from astral.api.keys import hash_api_key
    from astral.api.pagination import Page
    from organizations.models import Organization

    organization = Organization.objects.get(api_keys__key_hash=hash_api_key(API_KEY))
    unfiltered = roster.RosterFilters()
    return roster.page_statement(organization, unfiltered, Page(number=1, per_page=200))
