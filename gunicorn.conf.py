"""gunicorn reads this file from the working directory.

A request line over gunicorn's own limit would be answered by gunicorn with an HTML page;
lifted here so Astral's middleware answers any over-long URL under /api/ with the API's
JSON error (414), like every other refusal. Headers keep gunicorn's limits.
"""

limit_request_line = 0
