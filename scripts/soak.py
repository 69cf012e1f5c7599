"""`make soak`: mixed load through the balancer of `make cluster` while drills break its parts.

Readers call every analytics endpoint as coaches, athletes and an API key; a writer posts
runs, health readings and GPX files at a set rate and logs every acknowledged id; a prober
checks that no answer is older than the replica's documented bound. Drills run on a timeline
(docs/soak.md). Afterwards: every acknowledged write is in the primary exactly once, no
snapshot is stale and no cached answer differs from a recomputation. The last line printed
is `soak: N requests, E errors (P %), W writes acknowledged, L lost, D duplicated`.

Run by scripts/soak.sh inside the cluster's environment (DIR/cluster.env).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "astral.settings")
os.environ.setdefault("ASTRAL_API_BUDGET_PER_MINUTE", "100000000")  # the service, not the budget

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from analytics.snapshots import snapshot_batches  # noqa: E402
from athletes.models import Activity, HealthMetric, User  # noqa: E402
from organizations.models import Group, Membership, Organization, Role  # noqa: E402
from organizations.services import api_key_create  # noqa: E402

CLUSTER = Path(os.environ["ASTRAL_CLUSTER_DIR"])
URL = urlsplit(os.environ["ASTRAL_CLUSTER_URL"])
SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
READERS = int(os.environ.get("SOAK_READERS", "6"))
WRITES_PER_S = float(os.environ.get("SOAK_WRITES_PER_S", "3"))
LAG_BOUND = float(os.environ.get("ASTRAL_REPLICA_LAG_SECONDS", "5"))
# Reads may miss a write acknowledged less than this long ago (astral/db.py, astral/cache.py).
FRESHNESS_BOUND = LAG_BOUND + 1.0
SOAK_ATHLETES = 8
GPX = ROOT.parent / "shared" / "data" / "activities" / "fitparse_2013-02-06-12-11-14_run.gpx"
OUT = ROOT / "docs"
# What the client logged: every acknowledged write, and every request (kept after the run).
LOGS = ROOT / "soak-output"


# The drills: (second, name, what is done, seconds until it is undone) ------------------


@dataclass
class Drill:
    at: float
    name: str
    hold: float  # seconds until the undo step
    started: float | None = None
    ended: float | None = None


DRILLS = [
    Drill(0.10, "kill -9 gunicorn a", 15),
    Drill(0.23, "stop the replica", 25),
    Drill(0.40, "pause replay 60 s", 60),
    Drill(0.67, "kill -9 a Celery worker mid-refresh", 10),
    Drill(0.80, "restart Redis", 0),
]
GRACE = 5.0  # errors this long after a drill's undo still belong to it


def sh(*args: str) -> None:
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True, env=os.environ)


def pid_of(name: str) -> int:
    return int((CLUSTER / f"{name}.pid").read_text().strip())


def kill_tree(pid: int) -> None:
    """kill -9 a process and its children, as a machine loss would."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    for child in [pid, *map(int, children.split())]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def on_replica(sql: str) -> None:
    import psycopg

    with psycopg.connect(os.environ["ASTRAL_REPLICA_URL"], autocommit=True) as conn:
        conn.execute(sql)


def drill_do(drill: Drill) -> None:
    if drill.name.startswith("kill -9 gunicorn"):
        kill_tree(pid_of("web-a"))
    elif drill.name == "stop the replica":
        sh("scripts/services.sh", "replica-stop", str(CLUSTER))
    elif drill.name.startswith("pause replay"):
        on_replica("SELECT pg_wal_replay_pause()")
    elif drill.name.startswith("kill -9 a Celery worker"):
        from astral.celery import app

        # What beat sends every hour, in small batches so both workers hold some.
        app.send_task(
            "analytics.tasks.refresh_all_snapshots", kwargs={"batch_size": 3, "force": True}
        )
        time.sleep(1.0)
        kill_tree(pid_of("worker-1"))
    elif drill.name == "restart Redis":
        sh("scripts/services.sh", "redis-restart", str(CLUSTER))


def drill_undo(drill: Drill) -> None:
    env = {**os.environ, "CLUSTER_DIR": str(CLUSTER)}
    if drill.name.startswith("kill -9 gunicorn"):
        subprocess.run(["scripts/cluster.sh", "web-start", "a"], cwd=ROOT, check=True, env=env)
    elif drill.name == "stop the replica":
        sh("scripts/services.sh", "replica-start", str(CLUSTER))
    elif drill.name.startswith("pause replay"):
        on_replica("SELECT pg_wal_replay_resume()")
    elif drill.name.startswith("kill -9 a Celery worker"):
        subprocess.run(["scripts/cluster.sh", "worker-start", "1"], cwd=ROOT, check=True, env=env)


# The client side ------------------------------------------------------------------------


@dataclass
class Sample:
    t: float  # seconds since the soak started, when the request was sent
    ms: float
    kind: str  # read | write | probe
    name: str
    status: int  # 0: no HTTP answer
    error: str = ""


@dataclass
class Log:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stale: list[str] = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Client:
    """One keep-alive connection to the balancer, reopened after any failure."""

    def __init__(self) -> None:
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[int, bytes, str]:
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read(), ""
        except (OSError, http.client.HTTPException) as error:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return 0, b"", type(error).__name__


START = time.monotonic()
START_WALL = time.time()


def now() -> float:
    return time.monotonic() - START


def timed(
    log: Log,
    client: Client,
    kind: str,
    name: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None = None,
) -> tuple[int, bytes]:
    sent = now()
    status, data, error = client.request(method, path, headers, body)
    if status >= 500 and not error:
        error = f"HTTP {status}"
    log.add(Sample(sent, (now() - sent) * 1000, kind, name, status, error))
    return status, data


@dataclass
class Cast:
    coach: dict[str, str]
    athlete: dict[str, str]
    key: dict[str, str]
    athlete_ids: list[str]
    group_id: str
    soak: list[tuple[str, dict[str, str]]]  # (public id, headers) of the soak's own athletes
    uploader: tuple[str, dict[str, str]]


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def cast() -> Cast:
    org = Organization.objects.order_by("pk").first()
    assert org is not None, "the cluster has no organization: `make cluster` loads the demo"
    coach = Membership.objects.filter(organization=org, role=Role.OWNER).first().user
    athletes = list(
        User.objects.filter(memberships__organization=org, memberships__role=Role.ATHLETE)
        .order_by("pk")
        .values_list("public_id", flat=True)[:20]
    )
    athlete = User.objects.get(public_id=athletes[0])
    stamp = datetime.now(UTC).strftime("%H%M%S")
    soak = []
    for i in range(SOAK_ATHLETES + 1):
        user = User.objects.create_user(
            username=f"soak-{stamp}-{i}",
            email=f"soak-{stamp}-{i}@soak.example",
            password=None,
            display_name=f"Soak {i}",
        )
        Membership.objects.create(organization=org, user=user, role=Role.ATHLETE)
        soak.append((user.public_id, bearer(user)))
    group = Group.objects.filter(organization=org).order_by("pk").first()
    return Cast(
        coach=bearer(coach),
        athlete=bearer(athlete),
        key={"X-API-Key": api_key_create(organization=org, name="soak", created_by=None)[1]},
        athlete_ids=athletes,
        group_id=group.public_id if group else "",
        soak=soak[:-1],
        uploader=soak[-1],
    )


def read_paths(c: Cast, user_id: str | None) -> list[tuple[str, str, bytes | None]]:
    """Every analytics endpoint, for one athlete (None: the caller's own data)."""
    today = datetime.now(UTC).date()
    who = {"user_id": user_id} if user_id else {}
    t = int(time.time())

    def q(path: str, **params: Any) -> str:
        return f"/api/v1/analytics/{path}?{urlencode({**who, **params})}"

    running = {"from_timestamp": t - 90 * 86400, "to_timestamp": t, "range_type": "monthly"}
    streaks = json.dumps({**who, "days": 90}).encode()
    return [
        ("GET", q("fitness_stats", days=30), None),
        ("GET", q("running_stats", **running), None),
        ("GET", q("activity_stats", **{"from": today - timedelta(days=90), "to": today}), None),
        ("GET", q("health_metrics", **{"from": today - timedelta(days=90), "to": today}), None),
        ("POST", "/api/v1/analytics/running_streaks", streaks),
        ("GET", q("personal_records"), None),
        ("GET", q("pace_curve", days=90), None),
        ("GET", q("calendar"), None),
        ("GET", q("user_metrics_charts"), None),
        ("GET", q("user_metrics_summary"), None),
        ("GET", q("athlete_profile"), None),
    ]


def club_paths(c: Cast) -> list[tuple[str, str, bytes | None]]:
    group = {"group_id": c.group_id} if c.group_id else {}
    paths = [
        ("GET", "/api/v1/analytics/coach_athletes_metrics?per_page=50", None),
        ("GET", "/api/v1/analytics/coach_athletes_metrics?ordering=-attention&per_page=20", None),
        ("GET", "/api/v1/analytics/group_overview", None),
        ("GET", "/api/v1/analytics/group_comparison?period=30", None),
        ("GET", "/api/v1/analytics/plans_overview", None),
    ]
    if group:
        paths.append(("GET", f"/api/v1/analytics/group_stats?{urlencode(group)}&period=30", None))
    return paths


def name_of(path: str) -> str:
    return path.split("?")[0].rsplit("/", 1)[-1]


def reader(c: Cast, log: Log, stop: threading.Event, seed: int) -> None:
    rnd = random.Random(seed)
    client = Client()
    while not stop.is_set():
        role = rnd.choice(["coach", "athlete", "key"])
        if role == "athlete":
            method, path, body = rnd.choice(read_paths(c, None))
            headers = c.athlete
        else:
            headers = c.coach if role == "coach" else c.key
            if rnd.random() < 0.35:
                method, path, body = rnd.choice(club_paths(c))
            else:
                method, path, body = rnd.choice(read_paths(c, rnd.choice(c.athlete_ids)))
        headers = {**headers, "Accept-Encoding": "gzip"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        timed(log, client, "read", f"{role} {name_of(path)}", method, path, headers, body)


@dataclass
class Ledger:
    """What the writer was told was stored, and what the prober expects to see."""

    acks: list[dict[str, Any]] = field(default_factory=list)
    attempted: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    acked_at: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    lock: threading.Lock = field(default_factory=threading.Lock)


def send_write(
    log: Log,
    client: Client,
    name: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    content_type: str,
) -> dict[str, Any] | None:
    """POSTs until the server answers; a 409 DUPLICATE_ACTIVITY on a retry means an earlier
    attempt was stored, and names it: that is the acknowledgement."""
    headers = {**headers, "Content-Type": content_type}
    for attempt in range(30):
        status, data = timed(log, client, "write", name, "POST", path, headers, body)
        if status == 201:
            return json.loads(data)["data"]
        if status == 409 and attempt > 0:
            details = json.loads(data)["details"]
            if details.get("code") == "DUPLICATE_ACTIVITY":
                return {"activity_id": details["activity_id"], "retried": True}
        if 400 <= status < 500:
            log.add(Sample(now(), 0, "write", name, status, f"HTTP {status} {data[:300]!r}"))
            return None
        time.sleep(min(0.2 * (attempt + 1), 2.0))
    return None


def send_json(
    log: Log, client: Client, name: str, path: str, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any] | None:
    return send_write(
        log, client, name, path, headers, json.dumps(body).encode(), "application/json"
    )


def gpx_at(template: str, start: datetime) -> bytes:
    first = datetime(2013, 2, 6, 12, 11, 14, tzinfo=UTC)

    def shift(match: re.Match[str]) -> str:
        moved = (
            datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            - first
            + start
        )
        return f"<time>{moved:%Y-%m-%dT%H:%M:%SZ}</time>"

    return re.sub(r"<time>([^<]+)</time>", shift, template).encode()


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "soakboundary7f3a"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/gpx+xml\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def writer(c: Cast, log: Log, ledger: Ledger, stop: threading.Event) -> None:
    rnd = random.Random(7)
    client = Client()
    template = GPX.read_text()
    base = datetime.now(UTC).replace(hour=4, minute=0, second=0, microsecond=0) - timedelta(days=28)
    counters: Counter[str] = Counter()
    k = 0
    next_at = now()
    while not stop.is_set():
        next_at += 1 / WRITES_PER_S
        time.sleep(max(0.0, next_at - now()))
        k += 1
        choice = rnd.random()
        if choice < 0.6:
            uid, headers = c.soak[k % len(c.soak)]
            n = counters[uid]
            counters[uid] += 1
            metres = float(rnd.randint(3000, 15000))
            body = {  # runs two hours apart, at 3.2 m/s: never overlapping
                "start_time": (base + timedelta(hours=2 * n)).isoformat(),
                "distance": metres,
                "duration": round(metres / 3.2),
                "source": "api",
                "external_id": f"soak-{uid}-{n}",
            }
            with ledger.lock:
                ledger.attempted[uid] += metres
            data = send_json(log, client, "activity", "/api/v1/activities", headers, body)
            if data:
                with ledger.lock:
                    ledger.acks.append(
                        {
                            "kind": "activity",
                            "id": data["activity_id"],
                            "user": uid,
                            "distance": metres,
                        }
                    )
                    ledger.acked_at[uid].append((now(), metres))
        elif choice < 0.9:
            uid, headers = c.soak[k % len(c.soak)]
            n = counters[f"health {uid}"]
            counters[f"health {uid}"] += 1
            day = datetime.now(UTC).date() - timedelta(days=n)
            hr = rnd.randint(40, 70)
            body = {"date": day.isoformat(), "resting_hr": hr}
            data = send_json(log, client, "health", "/api/v1/health_metrics", headers, body)
            if data:
                with ledger.lock:
                    ledger.acks.append(
                        {"kind": "health", "user": uid, "date": day.isoformat(), "resting_hr": hr}
                    )
        else:
            uid, headers = c.uploader
            n = counters["upload"]
            counters["upload"] += 1
            body, content_type = multipart(
                f"soak-{n}.gpx", gpx_at(template, base + timedelta(hours=3 * n))
            )
            data = send_write(
                log, client, "upload", "/api/v1/activities/upload", headers, body, content_type
            )
            if data:
                with ledger.lock:
                    ledger.acks.append({"kind": "upload", "id": data["activity_id"], "user": uid})


def prober(c: Cast, log: Log, ledger: Ledger, stop: threading.Event) -> None:
    """Reads an athlete's totals as the coach: every run acknowledged more than the bound ago
    must be in the answer, and nothing never attempted."""
    client = Client()
    today = datetime.now(UTC).date()
    rnd = random.Random(11)
    while not stop.is_set():
        time.sleep(0.5)
        uid, _ = rnd.choice(c.soak)
        asked = now()
        with ledger.lock:
            must = sum(m for at, m in ledger.acked_at[uid] if at < asked - FRESHNESS_BOUND)
        params = urlencode({"user_id": uid, "from": today - timedelta(days=40), "to": today})
        status, data = timed(
            log,
            client,
            "probe",
            "freshness",
            "GET",
            f"/api/v1/analytics/activity_stats?{params}",
            c.coach,
        )
        if status != 200:
            continue
        with ledger.lock:  # what was sent until the answer came back may be in it
            may = ledger.attempted[uid]
        seen = json.loads(data)["data"]["totals"]["distance"]
        if not (must - 0.5 <= seen <= may + 0.5):
            log.stale.append(
                f"{asked:.1f} s: {uid} showed {seen:.0f} m, expected {must:.0f}..{may:.0f} m"
            )


# Checks after the drills settle ---------------------------------------------------------


def stale_snapshots() -> int:
    return sum(len(batch) for batch in snapshot_batches(1000, only_stale=True))


def verify_writes(ledger: Ledger, c: Cast) -> tuple[int, int, int]:
    """(acknowledged, lost, duplicated), read from the primary."""
    ids = [a["id"] for a in ledger.acks if a["kind"] in ("activity", "upload")]
    stored = Counter(Activity.objects.filter(public_id__in=ids).values_list("public_id", flat=True))
    lost = sum(1 for i in set(ids) if stored[i] == 0)
    users = [uid for uid, _ in c.soak] + [c.uploader[0]]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM (
                 SELECT 1 FROM athletes_activity a JOIN athletes_user u ON u.id = a.user_id
                 WHERE u.public_id = ANY(%s)
                 GROUP BY a.user_id, a.start_time HAVING count(*) > 1) d""",
            [users],
        )
        (duplicated,) = cursor.fetchone()
    for ack in ledger.acks:
        if ack["kind"] == "health":
            found = HealthMetric.objects.filter(
                user__public_id=ack["user"], date=ack["date"], resting_hr=ack["resting_hr"]
            ).count()
            lost += found == 0
    return len(ledger.acks), lost, duplicated


def verify_cached(c: Cast) -> list[str]:
    """Each cached answer equals the same answer recomputed (`refresh=true`/`no_cache=1`)."""
    client = Client()
    differ = []
    today = datetime.now(UTC).date()
    for uid, _ in c.soak[:4]:
        params = {"user_id": uid, "from": today - timedelta(days=40), "to": today}
        for path, fresh in [
            (f"/api/v1/analytics/activity_stats?{urlencode(params)}", "&refresh=true"),
            (f"/api/v1/analytics/athlete_profile?user_id={uid}", "&refresh=true"),
        ]:
            _, cached = client.request("GET", path, c.coach)[:2]
            _, recomputed = client.request("GET", path + fresh, c.coach)[:2]
            # `last_updated` says when it was computed: the one field allowed to differ.
            cached_data, fresh_data = json.loads(cached)["data"], json.loads(recomputed)["data"]
            cached_data.pop("last_updated", None)
            fresh_data.pop("last_updated", None)
            if cached_data != fresh_data:
                differ.append(path)
    path = "/api/v1/analytics/coach_athletes_metrics?per_page=200"
    _, cached = client.request("GET", path, c.coach)[:2]
    _, recomputed = client.request("GET", path + "&no_cache=1", c.coach)[:2]
    if json.loads(cached)["data"] != json.loads(recomputed)["data"]:
        differ.append(path)
    return differ


# The report -----------------------------------------------------------------------------


def window(drill: Drill) -> tuple[float, float]:
    assert drill.started is not None and drill.ended is not None
    return drill.started, drill.ended + GRACE


def drill_rows(log: Log) -> list[dict[str, Any]]:
    rows = []
    changes = routing_changes()
    ordered = sorted(log.samples, key=lambda s: s.t)
    for drill in DRILLS:
        lo, hi = window(drill)
        inside = [s for s in ordered if lo <= s.t + s.ms / 1000 and s.t <= hi]
        failed = [s for s in inside if s.error]
        # The longest outage: from a failed request to the next success of its kind.
        longest = 0.0
        for s in failed:
            after = next(
                (o.t for o in inside if o.t > s.t and o.kind == s.kind and not o.error), hi
            )
            longest = max(longest, after - s.t)
        kinds = Counter(s.error for s in failed)
        rows.append(
            {
                "drill": drill.name,
                "at": drill.started,
                "requests": len(inside),
                "errors": len(failed),
                "kinds": ", ".join(f"{k} × {n}" for k, n in kinds.most_common()) or "none",
                "longest_outage": longest,
                "recovery": (max(s.t for s in failed) - drill.started) if failed else 0.0,
                "routing": replica_moves(drill, changes)
                if "replica" in drill.name or "replay" in drill.name
                else "",
            }
        )
    return rows


ROUTING = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) WARNING astral\.db: "
    r"analytics reads (on the primary|back on the replica)"
)


def routing_changes() -> list[tuple[float, str]]:
    """When a web process moved its analytics reads (astral/db.py logs it), in soak seconds."""
    changes = []
    for path in CLUSTER.glob("web-*.log"):
        for line in path.read_text(errors="replace").splitlines():
            match = ROUTING.match(line)
            if match:
                # asctime is the machine's local time, as is mktime's.
                wall = time.mktime(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S"))
                at = wall + int(match.group(2)) / 1000 - START_WALL
                changes.append((at, "primary" if "primary" in match.group(3) else "replica"))
    return sorted(changes)


def replica_moves(drill: Drill, changes: list[tuple[float, str]]) -> str:
    """For the replica drills: when the first web process left the replica, and when the
    last one came back, counted from the drill's start and from its undo."""
    lo, hi = drill.started or 0, (drill.ended or 0) + 60
    left = [t for t, where in changes if where == "primary" and lo <= t <= hi]
    back = [t for t, where in changes if where == "replica" and lo <= t <= hi]
    if not left:
        return "reads stayed on the replica"
    text = f"reads left the replica {left[0] - lo:.2f} s after the drill"
    if back:
        text += f", all back {max(back) - (drill.ended or 0):.2f} s after it was undone"
    return text


def picture(log: Log, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seconds = int(max(s.t for s in log.samples)) + 1
    per = [[] for _ in range(seconds)]
    for s in log.samples:
        per[int(s.t)].append(s)
    xs = list(range(seconds))
    rps = [len(b) for b in per]
    eps = [sum(1 for s in b if s.error) for b in per]

    def pct(b: list[Sample], q: float) -> float:
        ms = sorted(s.ms for s in b if not s.error)
        return ms[min(len(ms) - 1, int(q * len(ms)))] if ms else float("nan")

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 6.5), sharex=True)
    top.plot(xs, rps, color="#2b6cb0", linewidth=1, label="requests/s")
    top.bar(xs, eps, color="#c53030", width=1.0, label="errors/s")
    top.set_ylabel("per second")
    bottom.plot(xs, [pct(b, 0.5) for b in per], color="#2f855a", linewidth=1, label="p50 ms")
    bottom.plot(xs, [pct(b, 0.99) for b in per], color="#b7791f", linewidth=1, label="p99 ms")
    bottom.set_yscale("log")
    bottom.set_ylabel("latency (ms)")
    bottom.set_xlabel("seconds since the soak started")
    for axis in (top, bottom):
        for i, drill in enumerate(DRILLS):
            lo, hi = drill.started or 0, drill.ended or 0
            axis.axvspan(lo, max(hi, lo + 1), color=f"C{i + 3}", alpha=0.15)
            if axis is top:
                axis.text(lo, max(rps) * (0.98 - 0.08 * i), f" {drill.name}", fontsize=8, va="top")
        axis.legend(loc="lower left", fontsize=8)
        axis.grid(alpha=0.3)
    top.set_title("make soak: two gunicorn behind HAProxy, primary + streaming replica")
    fig.tight_layout()
    fig.savefig(path, format="svg")


def report(log: Log, totals: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Soak: the cluster under load and faults",
        "",
        "Written by `make soak` (scripts/soak.py) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {SECONDS} s of mixed load through HAProxy to",
        "two gunicorn instances (2 workers each) reading analytics from a streaming replica,",
        f"{READERS} reader threads (every analytics endpoint as a coach, an athlete and an API",
        f"key), {WRITES_PER_S:g} writes/s (runs, health readings, GPX uploads), a freshness prober,",
        "two Celery worker nodes and beat (the snapshot refresh every "
        f"{os.environ.get('ASTRAL_SNAPSHOT_REFRESH_SECONDS', '3600')} s), on this machine's 2 cores.",
        "",
        "![requests, errors and latency per second, drills shaded](soak.svg)",
        "",
        "| drill | at (s) | requests in window | errors | kinds | longest outage (s) | recovery (s) | analytics reads |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['drill']} | {r['at']:.0f} | {r['requests']} | {r['errors']} | {r['kinds']} "
            f"| {r['longest_outage']:.2f} | {r['recovery']:.2f} | {r['routing']} |"
        )
    lines += [
        "",
        f"A drill's window runs from its start to {GRACE:g} s after it is undone. Longest outage:",
        "from a failed request to the next success of its kind (read, write). Recovery: from the",
        "drill's start to its last error. Analytics reads: when the first web process moved its",
        "reads to the primary, and when the last one was back on the replica (their logs).",
        "",
        "| check | result |",
        "|---|---|",
        f"| requests | {totals['requests']:,} |",
        f"| errors | {totals['errors']} ({totals['error_pct']:.3f} %), outside drill windows: {totals['outside']} |",
        f"| writes acknowledged | {totals['acked']:,} |",
        f"| acknowledged writes lost | {totals['lost']} |",
        f"| stored twice | {totals['duplicated']} |",
        f"| answers older than the bound ({FRESHNESS_BOUND:g} s) | {len(log.stale)} of {totals['probes']} probes |",
        f"| stale snapshots after settling | {totals['stale_snapshots']} (settled in {totals['settle']:.0f} s) |",
        f"| cached answers differing from a recomputation | {len(totals['differ'])} |",
        f"| latency p50 / p99 (all requests) | {totals['p50']:.1f} / {totals['p99']:.1f} ms |",
        "",
    ]
    failed = sorted((x for x in log.samples if x.error), key=lambda x: x.t)
    lines += [
        "Every failed request (the client's log of all requests and acknowledged writes is in",
        "`soak-output/`):",
        "",
        *[f"- {x.t:.1f} s: {x.kind} `{x.name}`, {x.error[:120]}" for x in failed[:50]],
        *([] if failed else ["- none"]),
        "",
    ]
    if log.stale:
        lines += ["Stale answers:", "", *[f"- {s}" for s in log.stale[:20]], ""]
    return "\n".join(lines)


def main() -> int:
    c = cast()
    log, ledger, stop = Log(), Ledger(), threading.Event()
    global START, START_WALL
    START, START_WALL = time.monotonic(), time.time()
    threads = [
        threading.Thread(target=reader, args=(c, log, stop, i), daemon=True) for i in range(READERS)
    ]
    threads.append(threading.Thread(target=writer, args=(c, log, ledger, stop), daemon=True))
    threads.append(threading.Thread(target=prober, args=(c, log, ledger, stop), daemon=True))
    for t in threads:
        t.start()
    pending = sorted(DRILLS, key=lambda d: d.at)
    undo: list[Drill] = []
    while now() < SECONDS:
        for drill in list(pending):
            if now() >= drill.at * SECONDS:
                pending.remove(drill)
                drill.started = now()
                print(f"soak: {drill.started:6.1f} s  {drill.name}", flush=True)
                drill_do(drill)
                undo.append(drill)
        for drill in list(undo):
            # Shorter soaks (SOAK_SECONDS) shorten the drills in proportion.
            if now() >= (drill.started or 0) + drill.hold * min(1.0, SECONDS / 300):
                undo.remove(drill)
                drill_undo(drill)
                drill.ended = now()
                print(f"soak: {drill.ended:6.1f} s  undone: {drill.name}", flush=True)
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    for drill in undo:
        drill_undo(drill)
        drill.ended = now()

    print("soak: load stopped; waiting for the refresh to settle", flush=True)
    settled = time.monotonic()
    while stale_snapshots() and time.monotonic() - settled < 180:
        time.sleep(2)
    settle = time.monotonic() - settled
    acked, lost, duplicated = verify_writes(ledger, c)
    differ = verify_cached(c)
    LOGS.mkdir(exist_ok=True)
    (LOGS / "acks.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ledger.acks))
    (LOGS / "requests.csv").write_text(
        "t_s,ms,kind,name,status,error\n"
        + "".join(
            f"{x.t:.3f},{x.ms:.1f},{x.kind},{x.name},{x.status},{x.error[:80]!r}\n"
            for x in log.samples
        )
    )

    rows = drill_rows(log)
    windows = [window(d) for d in DRILLS]
    errors = [s for s in log.samples if s.error]
    # A request in flight when a drill started belongs to it.
    outside = [
        s for s in errors if not any(lo <= s.t + s.ms / 1000 and s.t <= hi for lo, hi in windows)
    ]
    ok_ms = sorted(s.ms for s in log.samples if not s.error)
    totals = {
        "requests": len(log.samples),
        "errors": len(errors),
        "error_pct": 100 * len(errors) / max(1, len(log.samples)),
        "outside": len(outside),
        "acked": acked,
        "lost": lost,
        "duplicated": duplicated,
        "probes": sum(1 for s in log.samples if s.kind == "probe"),
        "stale_snapshots": stale_snapshots(),
        "settle": settle,
        "differ": differ,
        "p50": ok_ms[len(ok_ms) // 2],
        "p99": ok_ms[int(0.99 * len(ok_ms))],
    }
    OUT.mkdir(exist_ok=True)
    picture(log, OUT / "soak.svg")
    (OUT / "soak.md").write_text(report(log, totals, rows))
    for s in outside[:10]:
        print(f"soak: error outside the drills at {s.t:.1f} s: {s.name} {s.error}")
    for s in log.stale[:10]:
        print(f"soak: stale answer {s}")
    for path in differ:
        print(f"soak: cached answer differs from a recomputation: {path}")
    print(
        f"soak: {totals['requests']} requests, {totals['errors']} errors "
        f"({totals['error_pct']:.3f} %), {acked} writes acknowledged, {lost} lost, "
        f"{duplicated} duplicated"
    )
    healthy = (
        not lost
        and not duplicated
        and not outside
        and not log.stale
        and not differ
        and totals["error_pct"] < 0.1
        and not totals["stale_snapshots"]
    )
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
