"""Athlete snapshots: computed, stored, and read fresh."""

from __future__ import annotations


def snapshots_refresh(user_ids: list[int]) -> int:
    return 0


def snapshots_refresh_all(batch_size: int = 200) -> int:
    return 0
