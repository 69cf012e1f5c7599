"""Webhooks (API.md §5): an organization's changes POSTed to its receivers, in order, one
change per request, signed `X-Astral-Signature: sha256=<HMAC-SHA256 of the body with the
webhook's secret>`. A receiver that does not answer 2xx is tried again with backoff (1, 2,
4 … minutes, at most an hour apart) for 24 hours from its first failure; then that change is
given up and the next one tried. Every attempt is kept as a delivery.

Delivered by the `deliver_webhooks` task every minute (Celery beat): what one worker sends
is locked against the others (`select_for_update(skip_locked)`).

Every write here is of the webhook's own rows: not a data change."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from astral.api.errors import ApiError
from astral.api.renderers import dumps
from athletes.models import DataChange
from organizations.changes import change_items, visible_changes
from organizations.models import Organization, Webhook, WebhookDelivery

EVENTS = ("activity", "health_metric", "goal", "plan", "plan_instance", "membership")
RETRY_FOR = timedelta(hours=24)
BATCH = 100
TIMEOUT_SECONDS = 5


def signature(secret: str, body: bytes) -> str:
    """What `X-Astral-Signature` carries; a receiver computes the same and compares."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_create(*, organization: Organization, url: str, events: list[str]) -> Webhook:
    """A receiver from the next change on (not the past ones). Not a data change."""
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise ApiError(f"Unknown event {unknown[0]}: one of {', '.join(EVENTS)}.", field="events")
    if urlsplit(url).scheme not in ("http", "https"):
        raise ApiError("url must be an http or https address.", field="url")
    latest = DataChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return Webhook.objects.create(
        organization=organization,
        url=url,
        events=sorted(set(events)),
        secret=secrets.token_hex(32),
        cursor=latest,
    )


def _refused_address(url: str) -> str | None:
    """A receiver inside our own network is refused (a webhook is not a way in), unless
    settings say this deployment allows it (tests, a private installation)."""
    if settings.ASTRAL_WEBHOOKS_ALLOW_PRIVATE:
        return None
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        return f"the host does not resolve ({exc})"
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            return f"{host} is a private address"
    return None


def _post(webhook: Webhook, body: bytes) -> tuple[int | None, str]:
    refused = _refused_address(webhook.url)
    if refused:
        return None, refused
    request = urllib.request.Request(  # noqa: S310 (http or https only: webhook_create)
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Astral-Webhooks/1",
            "X-Astral-Signature": signature(webhook.secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return answer.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc))[:300]


def _pending(webhook: Webhook) -> list[DataChange]:
    return visible_changes(
        None,
        [webhook.organization_id],
        after=webhook.cursor,
        limit=BATCH,
        kinds=webhook.events or None,
    )


def webhook_deliver(webhook: Webhook, now: datetime) -> int:
    """Sends the receiver its changes in order until one fails; how many were delivered."""
    delivered = 0
    for change, item in zip(pending := _pending(webhook), change_items(pending), strict=True):
        body = dumps(item)
        attempt = 1 + WebhookDelivery.objects.filter(webhook=webhook, change_id=change.id).count()
        status, error = _post(webhook, body)
        if status is not None and 200 <= status < 300:
            WebhookDelivery.objects.create(
                webhook=webhook,
                change_id=change.id,
                status="delivered",
                status_code=status,
                attempt=attempt,
            )
            webhook.cursor, webhook.failing_since, webhook.next_attempt_at = change.id, None, None
            delivered += 1
            continue
        failing_since = webhook.failing_since or now
        if now - failing_since >= RETRY_FOR:  # a day of failures: this change is given up
            WebhookDelivery.objects.create(
                webhook=webhook,
                change_id=change.id,
                status="gave_up",
                status_code=status,
                error=error,
                attempt=attempt,
            )
            webhook.cursor, webhook.failing_since, webhook.next_attempt_at = change.id, None, None
            continue
        WebhookDelivery.objects.create(
            webhook=webhook, change_id=change.id, status="failed", status_code=status,
            error=error, attempt=attempt,
        )  # fmt: skip
        webhook.failing_since = failing_since
        webhook.next_attempt_at = now + min(
            timedelta(minutes=2 ** (attempt - 1)), timedelta(hours=1)
        )
        break
    webhook.save(update_fields=["cursor", "failing_since", "next_attempt_at"])
    return delivered


def webhooks_deliver(*, now: datetime | None = None) -> int:
    """Every receiver due now, each locked while it is sent to (so two workers never send the
    same change twice); how many changes were delivered."""
    now = now or timezone.now()
    total = 0
    due = Webhook.objects.filter(next_attempt_at__isnull=True) | Webhook.objects.filter(
        next_attempt_at__lte=now
    )
    for webhook_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            webhook = (
                Webhook.objects.select_for_update(skip_locked=True).filter(pk=webhook_id).first()
            )
            if webhook is not None:
                total += webhook_deliver(webhook, now)
    return total
