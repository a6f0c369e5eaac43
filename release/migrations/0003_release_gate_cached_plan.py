"""The release gate again (release/sql/release_gate.sql, as 0002 runs it): PL/pgSQL now,
whose plan PostgreSQL caches per connection, where the SQL function was planned again
at every booking (#19, bench/README.md "The booking call's plans"). The same signature
and answers; the reverse leaves it (0002's reverse puts the stub back)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "release_gate.sql").read_text()


class Migration(migrations.Migration):
    dependencies = [("release", "0002_release_gate_function")]

    # A list of one: run as one script, not split by sqlparse.
    operations = [migrations.RunSQL([SQL], reverse_sql=migrations.RunSQL.noop)]
