"""Random public ids with a type prefix (API.md §1): never sequential, never a primary key."""

import secrets
from typing import Any

from django.db import models

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_public_id(prefix: str, length: int = 16) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class PublicIdField(models.CharField):
    """A row's public id (`usr_…`, `act_…`), made when the row is.

    Migrations see a plain unique CharField: the prefix and the generator are code, not
    schema, so no migration imports them (tests/integration/test_migrations.py)."""

    def __init__(self, prefix: str = "", *args: Any, **kwargs: Any) -> None:
        self.prefix = prefix
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def has_default(self) -> bool:
        return bool(self.prefix) or super().has_default()

    def get_default(self) -> Any:
        return new_public_id(self.prefix) if self.prefix else super().get_default()

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs
