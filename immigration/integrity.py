"""Which constraint an IntegrityError broke, from what the database reports about it
rather than from the wording of its message.

PostgreSQL names the constraint in the error's diagnostics (psycopg:
`exc.__cause__.diag.constraint_name`); the constraint's columns then come from the
catalog. SQLite (`make run`) names no constraint, only the columns ("UNIQUE constraint
failed: t.a, t.b"): there the name is the table's unique constraint on exactly those
columns. Either way a caller compares a name it chose in `Meta.constraints`, or the
columns of a field's own `unique=True` (whose name the database made up).

Used on the rare path after a failed INSERT (one catalog query); takes no lock. Call it
after the savepoint that failed was rolled back (outside its `atomic` block).
"""

import re
from dataclasses import dataclass

from django.db import IntegrityError, connection, models

_SQLITE_UNIQUE = re.compile(r"^UNIQUE constraint failed: (.+)$")


@dataclass(frozen=True)
class Violation:
    constraint: str | None  # None when the database did not say (not a constraint error)
    columns: tuple[str, ...]  # in the constraint's order; () when unknown


def violated_constraint(exc: IntegrityError, model: type[models.Model]) -> Violation:
    """The constraint of `model`'s table that `exc` broke."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # psycopg
        name = diag.constraint_name
        info = _constraints(model).get(name) if name else None
        return Violation(name, tuple(info["columns"]) if info else ())
    match = _SQLITE_UNIQUE.match(str(exc.__cause__ or exc))
    if match is None:
        return Violation(None, ())
    columns = tuple(part.strip().rsplit(".", 1)[-1] for part in match.group(1).split(","))
    for name, info in _constraints(model).items():
        if info["unique"] and tuple(info["columns"]) == columns:
            return Violation(name, columns)
    return Violation(None, columns)


def _constraints(model: type[models.Model]) -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, model._meta.db_table)
