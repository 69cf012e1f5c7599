"""Tasks of the organizations app: each takes plain values and calls one service."""

from __future__ import annotations

from celery import shared_task

from astral.celery import DELIVER_WEBHOOKS


@shared_task(name=DELIVER_WEBHOOKS, ignore_result=True)
def deliver_webhooks() -> int:
    """Every minute: each organization's receivers get the changes they have not had."""
    from organizations.webhooks import webhooks_deliver

    return webhooks_deliver()
