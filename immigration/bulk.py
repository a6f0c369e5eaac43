"""Many rows in one INSERT whose text does not grow with the rows.

`bulk_create` of 500 rows sends a statement with one placeholder per value (6,000 for
a batch of outbox rows): Django prepares every value of every row, psycopg re-parses
the long statement each time (it caches only short ones), and PostgreSQL parses it
again. The no-show sweep spent about half its time there (bench/README.md). On
PostgreSQL each column travels instead as one array:

    INSERT INTO t (a, b) SELECT * FROM unnest(%b::integer[], %b::varchar[])

a statement of a dozen placeholders whatever the number of rows, its arrays sent in
binary. Elsewhere (SQLite
under `make run`) it is `bulk_create`, with the same defaults.
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


def _defaults(field: models.Field, now):
    """A function giving an absent field's value per row, as `Model.save` would."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda: now
    return field.get_default  # the default, else "" for a text that takes it, else None


def insert_many(model: type[models.Model], rows: Sequence[dict]) -> list[int]:
    """Insert `rows` (field attname -> value; absent fields take their default, and
    auto_now(_add) fields the same "now" for every row) in one statement; returns the
    new primary keys. Validation is the caller's: nothing runs but the database's
    constraints, as with `bulk_create`."""
    if not rows:
        return []
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = []
    for field in fields:
        default = _defaults(field, now)
        values = [row[field.attname] if field.attname in row else default() for row in rows]
        columns.append(values)
    unknown = set().union(*rows) - {f.attname for f in fields}
    if unknown:
        raise TypeError(f"{model.__name__} has no field(s) {sorted(unknown)}")

    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create(
            model(**{f.attname: column[i] for f, column in zip(fields, columns, strict=True)})
            for i in range(len(rows))
        )
        return [obj.pk for obj in objs]

    params = []
    for field, values in zip(fields, columns, strict=True):
        if not isinstance(field, _PLAIN):
            values = [field.get_db_prep_save(value, connection) for value in values]
        params.append(values)
    quote = connection.ops.quote_name
    # Arrays of the base type (varchar, not varchar(15)): an explicit cast would cut an
    # over-long text silently, the INSERT's own assignment refuses it, as bulk_create's.
    arrays = ", ".join(
        f"%b::{re.sub(r'[(].*?[)]', '', field.db_type(connection))}[]" for field in fields
    )
    # Only identifiers from the model's metadata (quoted) and types are written into
    # the text; every value is a parameter.
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    names = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) RETURNING {pk}"  # noqa: S608
    with _binding_cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def _binding_cursor():
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
