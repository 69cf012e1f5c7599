"""Saves that bypass the services (the admin, the shell) still invalidate cached answers.

The services invalidate explicitly, including for their bulk `update()`s, which send no
signal; these receivers cover every other save and delete of what cached answers and cached
authentication depend on (see `astral.cache`).
"""

from __future__ import annotations

from typing import Any

from django.core.signals import request_finished, request_started
from django.db.models.signals import m2m_changed, post_delete, post_save

from astral import cache
from athletes.models import User
from organizations.models import ApiKey, Group, Membership, Organization


def _user_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # signing in changes nothing anyone has cached
    from athletes.services.changes import person_changed

    person_changed([instance.pk])


def _organization_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Organization):
        # Its API keys carry the organization in their cached authentication.
        hashes = ApiKey.objects.filter(organization_id=instance.pk).values_list(
            "key_hash", flat=True
        )
        cache.invalidate(cache.org_and_members(instance.pk) + [cache.apikey(h) for h in hashes])
    else:
        cache.invalidate(cache.org_and_members(instance.organization_id))


def _members_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not kwargs.get("action", "").startswith("post_"):
        return
    if isinstance(instance, User):  # changed from the user's side
        _user_changed(sender, instance)
    else:  # a membership's labels, a group's members, a label's memberships
        _organization_changed(sender, instance)


def _api_key_changed(sender: Any, instance: ApiKey, **kwargs: Any) -> None:
    if kwargs.get("update_fields") == frozenset({"last_used_at"}):
        return
    cache.invalidate([cache.apikey(instance.key_hash)])


def connect() -> None:
    # A request answers first and writes what it computed to the cache after.
    request_started.connect(cache.request_started, dispatch_uid="cache-request-started")
    request_finished.connect(cache.request_finished, dispatch_uid="cache-request-finished")
    post_save.connect(_user_changed, sender=User, dispatch_uid="cache-user-save")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="cache-user-delete")
    for model in (Organization, Membership, Group):
        uid = f"cache-{model.__name__}"
        post_save.connect(_organization_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_organization_changed, sender=model, dispatch_uid=f"{uid}-delete")
    m2m_changed.connect(
        _members_changed, sender=Membership.labels.through, dispatch_uid="cache-labels"
    )
    m2m_changed.connect(_members_changed, sender=Group.members.through, dispatch_uid="cache-group")
    post_save.connect(_api_key_changed, sender=ApiKey, dispatch_uid="cache-apikey-save")
    post_delete.connect(_api_key_changed, sender=ApiKey, dispatch_uid="cache-apikey-delete")
