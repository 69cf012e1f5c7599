"""API keys are stored and looked up by their hash only (API.md §2: shown once)."""

from __future__ import annotations

import hashlib


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()
