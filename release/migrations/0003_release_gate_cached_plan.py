"""The release gate again (release/sql/release_gate.sql, as 0002 runs it): PL/pgSQL now,
whose plan PostgreSQL caches per connection, where the SQL function was planned again
at every booking (#19, bench/README.md "The booking call's plans"). The same signature
and answers; the reverse leaves it (0002's reverse puts the stub back)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "release_gate.sql").read_text()
# The file's SHA-256 as this migration was written: the latest migration running the file
# records it, and bookings/tests/test_review_s12.py fails when the file changes without
# a new migration (a fresh database would get the change, an existing one never).
SQL_SHA256 = "8a59693e360d548a22e90ed9e9909f889fda4dfede03f4d82975e62035fdc88a"


class Migration(migrations.Migration):
    dependencies = [("release", "0002_release_gate_function")]

    # A list of one: run as one script, not split by sqlparse.
    operations = [migrations.RunSQL([SQL], reverse_sql=migrations.RunSQL.noop)]
