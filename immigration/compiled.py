"""A one-row lookup whose SQL Django compiles once per process, not at every request.

Django builds a queryset's SQL (its WHERE tree, joins, column list, quoting) each time
the queryset is evaluated. For the booking endpoint's lookups by key (the office by
its code, the caller's API key by its prefix) that compilation cost several times the
query itself (#19, bench/README.md "The web side of a booking": the office lookup took
1.6 ms of the web process's CPU on a loaded VM, 0.46 ms of which was running it).

`CompiledLookup` keeps the rule where it is: it is given the function that builds the
queryset (`lambda code: active_offices().filter(code=code)`), compiles that queryset
once with a marker value, and at each call runs the same SQL with the call's value in
the marker's place, building the instance as Django's ModelIterable does (the same
columns, the same database converters). Only plain lookups qualify: one model, no
select_related, no annotations, exactly one parameter taken from the call (checked when
compiling; anything else is a programming error, raised at first use).

On PostgreSQL the statement is prepared on the server once per connection (Django's
cursors bind client-side and prepare nothing, so PostgreSQL parsed and planned each
lookup again: 0.1-0.15 ms of its CPU per lookup, more than running it; #19,
bench/README.md "Session 12"). Not behind a pooler in transaction mode
(DATABASE_TRANSACTION_POOLING, which sets DISABLE_SERVER_SIDE_CURSORS): a prepared
statement lives on one server connection, which a pooler hands to others. The cursor is
Django's wrapper all the same (errors translated, execute wrappers and query logging).
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

_MARKER = "\x00compiled-lookup-value\x00"


def _cursor(connection):
    """A cursor that prepares its statements on the server, where that is safe (see
    the module docstring), else Django's own."""
    if connection.vendor != "postgresql" or connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        return connection.cursor()
    # What connection.cursor() does (BaseDatabaseWrapper._cursor), with another cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django opens psycopg connections with prepare_threshold=None, which turns off
        # preparing altogether, asked or not. Django's own cursors bind client-side and
        # never prepare; only this one asks, with prepare=True.
        raw.prepare_threshold = sys.maxsize
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor_class()(raw))


@functools.cache
def _preparing_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Binds on the server and prepares every statement it runs (psycopg keeps
        the prepared statements per connection, by their SQL)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor


class CompiledLookup:
    def __init__(self, build: Callable[[str], QuerySet], *, using: str = DEFAULT_DB_ALIAS):
        self._build = build
        self._using = using
        self._compiled = None
        self._lock = threading.Lock()

    def _compile(self):
        queryset = self._build(_MARKER).order_by()[:2]
        compiler = queryset.query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        klass_info = compiler.klass_info
        related = klass_info is None or klass_info.get("related_klass_infos")
        if related or compiler.annotation_col_map:
            raise TypeError("CompiledLookup takes a plain queryset of one model")
        slots = [i for i, value in enumerate(params) if value == _MARKER]
        if len(slots) != 1:
            raise TypeError("CompiledLookup's queryset must use the looked-up value once")
        select = compiler.select
        fields = klass_info["select_fields"]
        if fields != list(range(len(select))):
            raise TypeError("CompiledLookup takes a queryset selecting its model's columns only")
        attnames = [select[i][0].target.attname for i in fields]
        converters = compiler.get_converters([column for column, _sql, _alias in select])
        return sql, list(params), slots[0], klass_info["model"], attnames, converters

    def get(self, value: str) -> Model | None:
        """The one row the queryset finds for `value`, or None; two rows raise the
        model's MultipleObjectsReturned, as QuerySet.get does."""
        if self._compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = self._compile()
        sql, params, slot, model, attnames, converters = self._compiled
        params = params.copy()
        params[slot] = value
        connection = connections[self._using]
        with _cursor(connection) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        if len(rows) > 1:
            raise model.MultipleObjectsReturned(f"more than one {model.__name__} for one key")
        row = list(rows[0])
        for position, (functions, expression) in converters.items():
            for convert in functions:
                row[position] = convert(row[position], expression, connection)
        return model.from_db(self._using, attnames, row[: len(attnames)])
