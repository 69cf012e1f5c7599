"""gunicorn reads this file from the working directory.

Each worker runs threads: a request that keeps its thread busy for seconds (an upload at the
limits parses for about two) leaves the worker's other threads answering, so `/healthz` and
everyone else's pages never queue behind it (tests/integration/hardening/
test_one_request_cannot_hurt.py holds it: three such uploads at once on three workers).

A request line over gunicorn's own limit would be answered by gunicorn with an HTML page;
lifted here so Astral's middleware answers any over-long URL under /api/ with the API's
JSON error (414), like every other refusal. Headers keep gunicorn's limits.
"""

import os

limit_request_line = 0
worker_class = "gthread"
threads = 4

# Proxy headers (X-Forwarded-Proto and the like) are believed only when ASTRAL_TRUSTED_PROXIES
# says a proxy is in front, and then only from FORWARDED_ALLOW_IPS (loopback unless told):
# gunicorn otherwise takes them from any local client.
if int(os.environ.get("ASTRAL_TRUSTED_PROXIES") or 0) > 0:
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
else:
    forwarded_allow_ips = ""
