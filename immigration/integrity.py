"""Which constraint an IntegrityError broke, from what the database reports about it
rather than from the wording of its message.

PostgreSQL names the constraint in the error's diagnostics (psycopg:
`exc.__cause__.diag.constraint_name`); the constraint's columns then come from the
catalog. A caller compares a name it chose in `Meta.constraints`, or the columns of a
field's own `unique=True` (whose name the database made up).

Used on the rare path after a failed INSERT (one catalog query); takes no lock. Call it
after the savepoint that failed was rolled back (outside its `atomic` block).
"""

from dataclasses import dataclass

from django.db import IntegrityError, connection, models


@dataclass(frozen=True)
class Violation:
    constraint: str | None  # None when the database did not say (not a constraint error)
    columns: tuple[str, ...]  # in the constraint's order; () when unknown


def violated_constraint(exc: IntegrityError, model: type[models.Model]) -> Violation:
    """The constraint of `model`'s table that `exc` broke."""
    diag = getattr(exc.__cause__, "diag", None)
    name = diag.constraint_name if diag is not None else None  # psycopg's diagnostics
    info = _constraints(model).get(name) if name else None
    return Violation(name, tuple(info["columns"]) if info else ())


def _constraints(model: type[models.Model]) -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, model._meta.db_table)
