"""`field__any=[…]`: membership in a list of ids as one array parameter on PostgreSQL.

`__in` sends one placeholder per value, and Django prepares each of them and psycopg splits
the statement around them: for the 200 athletes of a roster page that was more time than
the queries themselves. `= ANY(%s)` passes the whole list as one array. Elsewhere (SQLite)
it is a plain `IN`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import ForeignKey, IntegerField
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any"

    def get_prep_lookup(self) -> Any:
        return [int(value) for value in self.rhs]  # ids only

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))


def register() -> None:
    IntegerField.register_lookup(AnyOf)
    ForeignKey.register_lookup(AnyOf)
