"""Many rows in one INSERT whose text does not grow with the rows.

`bulk_create` of 500 rows sends a statement with one placeholder per value (6,000 for
a batch of outbox rows): Django prepares every value of every row, psycopg re-parses
the long statement each time (it caches only short ones), and PostgreSQL parses it
again. The no-show sweep spent about half its time there (bench/README.md). On
PostgreSQL each column travels instead as one array, and a column with the same value
in every row as one value:

    INSERT INTO t (a, b, c) SELECT u.c0, %b::varchar, u.c1
    FROM unnest(%b::integer[], %b::varchar[]) AS u(c0, c1)

a statement of a dozen placeholders whatever the number of rows, its values sent in
binary.

Django 5.2's own `bulk_create` uses arrays too, but not for a model with a BinaryField
(the outbox), and quotes its arrays into the text in Python: re-measured for issue #20
(`bench/bulk_insert.py`, figures in bench/README.md), this costs 6 ms of CPU for 500
outbox rows where `bulk_create` costs 148 ms, and 1.1 ms against 20 ms for 500 events.
"""

import re
from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone

# Values of these fields go to psycopg as they are; others are prepared by the field
# (a JSONField's value must be wrapped as jsonb, for instance).
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DateField,  # DateTimeField is a DateField
    models.ForeignKey,
)


def _column(field: models.Field, rows: Sequence[dict], now) -> list:
    """The field's value in every row; an absent field takes what `Model.save` would
    give it: "now" for auto_now(_add), else its default (called per row when it is a
    callable, which may differ per row), else "" for a text that takes it, else None."""
    name = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return [row.get(name, now) for row in rows]
    if field.has_default() and callable(field.default):
        return [row[name] if name in row else field.get_default() for row in rows]
    default = field.get_default()
    return [row.get(name, default) for row in rows]


def insert_many(model: type[models.Model], rows: Sequence[dict]) -> list[int]:
    """Insert `rows` (field attname -> value; absent fields take their default, and
    auto_now(_add) fields the same "now" for every row) in one statement; returns the
    new primary keys. Validation is the caller's: nothing runs but the database's
    constraints, as with `bulk_create`."""
    if not rows:
        return []
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = [_column(field, rows, now) for field in fields]
    unknown = set().union(*rows) - {f.attname for f in fields}
    if unknown:
        raise TypeError(f"{model.__name__} has no field(s) {sorted(unknown)}")

    # A column with the same value in every row (a batch's kind, status, "now", most
    # defaults) goes once, as one parameter, not as an array of n copies: in the
    # sweep's batches that is most columns, and dumping arrays was its costliest Python.
    selected, scalars, arrays = [], [], []
    for field, values in zip(fields, columns, strict=True):
        base_type = _base_type(field)
        if values.count(values[0]) == len(values):
            selected.append(f"%b::{base_type}")
            scalars.append(_prepared(field, values[:1])[0])
        else:
            selected.append(f"u.c{len(arrays)}")
            arrays.append((f"%b::{base_type}[]", _prepared(field, values)))
    if arrays:
        aliases = ", ".join(f"c{i}" for i in range(len(arrays)))
        source = f"unnest({', '.join(cast for cast, _ in arrays)}) AS u({aliases})"
    else:  # every row alike: n rows of constants
        source = "generate_series(1, %b::integer)"
    params = [*scalars, *(values for _, values in arrays)] if arrays else [*scalars, len(rows)]
    # Only identifiers from the model's metadata (quoted) and types are written into
    # the text; every value is a parameter.
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    names = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {', '.join(selected)} "  # noqa: S608 (names ours)
        f"FROM {source} RETURNING {pk}"
    )
    with binding_cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def insert_select_sql(
    model: type[models.Model], attnames: Sequence[str], select: str
) -> tuple[str, list]:
    """`INSERT INTO <model's table> ... SELECT` of the rows `select` gives, in PostgreSQL,
    with no row passing through Python: `select`'s columns are the fields `attnames`, in
    order; every other field takes, as one value for all rows, what `insert_many` gives
    an absent field ("now" for auto_now(_add), else its default). Returns the text, with
    no RETURNING (the caller adds it, or uses the text as a CTE), and the parameters of
    those defaults, which come before `select`'s own in the text (`%b` placeholders:
    run it on `binding_cursor`). A field whose default is a callable (a value per row)
    must be selected: one value for every row would be wrong (TypeError)."""
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    by_name = {f.attname: f for f in fields}
    unknown = set(attnames) - set(by_name)
    if unknown:
        raise TypeError(f"{model.__name__} has no field(s) {sorted(unknown)}")
    rest = [f for f in fields if f.attname not in set(attnames)]
    per_row = [f.attname for f in rest if f.has_default() and callable(f.default)]
    if per_row:
        raise TypeError(f"{model.__name__}: select {sorted(per_row)} (a default per row)")
    quote = connection.ops.quote_name
    selected = [f"s.{quote(name)}" for name in attnames]
    constants = []
    for field in rest:
        selected.append(f"%b::{_base_type(field)}")
        constants.append(_prepared(field, _column(field, [{}], now))[0])
    names = ", ".join(quote(f.column) for f in [*(by_name[a] for a in attnames), *rest])
    aliases = ", ".join(quote(name) for name in attnames)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) "  # noqa: S608 (names ours)
        f"SELECT {', '.join(selected)} FROM ({select}) AS s({aliases})"
    )
    return sql, constants


def _base_type(field: models.Field) -> str:
    """The field's column type without its length (varchar, not varchar(15)): an
    explicit cast would cut an over-long text silently, the INSERT's own assignment
    refuses it, as bulk_create's."""
    return re.sub(r"[(].*?[)]", "", field.db_type(connection))


def _prepared(field: models.Field, values: list) -> list:
    if isinstance(field, _PLAIN):
        return values
    return [field.get_db_prep_save(value, connection) for value in values]


def binding_cursor():
    """A cursor that sends parameters apart from the text, in binary (`%b`). Django's
    cursors quote them into the text, which for arrays runs in Python: 26 ms of CPU
    for 16 arrays of 500 against 3.6 ms in binary. Wrapped as Django wraps its own,
    so query logging and execute wrappers (assertNumQueries) still see it."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)
