"""Model instances from the rows of a hand-written statement's RETURNING clause.

The ORM's `update()` returns a count, not rows, so a hot path that must change rows and
read them back in one round trip (the booking's place, the no-show sweep's batch)
writes its `UPDATE ... RETURNING` itself. These helpers keep the rest as the ORM would
do it: the columns named from the model's metadata, values converted by the backend's
and the fields' own converters, and instances built by `Model.from_db`, deferred on
the fields not returned.
"""

from django.db import connection, models


def execute_returning(sql: str, params, model: type[models.Model], attnames=None) -> list:
    """Run `sql` (an INSERT/UPDATE/DELETE without its RETURNING clause) with `params`,
    returning the rows it touched as `model` instances: with the fields in `attnames`
    (deferred on the others), or with every field."""
    fields = _returning_fields(model, attnames)
    with connection.cursor() as cursor:
        cursor.execute(sql + _returning_clause(fields), params)
        return _models_from_rows(model, fields, cursor.fetchall())


def _returning_fields(model: type[models.Model], attnames=None) -> list[models.Field]:
    """The model's concrete fields (those in `attnames`, else all) in model order:
    `Model.from_db` takes a partial row in that order."""
    fields = model._meta.concrete_fields
    if attnames is None:
        return list(fields)
    wanted = set(attnames)
    return [field for field in fields if field.attname in wanted]


def _returning_clause(fields: list[models.Field]) -> str:
    """`RETURNING a, b, ...` with the quoted columns of `fields`."""
    quote = connection.ops.quote_name
    return "RETURNING " + ", ".join(quote(field.column) for field in fields)


def _models_from_rows(model: type[models.Model], fields: list[models.Field], rows) -> list:
    """Instances of `model` from `rows` holding the values of `fields`, in order."""
    columns = [field.get_col(model._meta.db_table) for field in fields]
    converters = [
        (index, [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)], col)
        for index, col in enumerate(columns)
    ]
    converters = [item for item in converters if item[1]]
    names = [field.attname for field in fields]
    instances = []
    for row in rows:
        if converters:
            row = list(row)
            for index, functions, col in converters:
                for convert in functions:
                    row[index] = convert(row[index], col, connection)
        instances.append(model.from_db(connection.alias, names, row))
    return instances
