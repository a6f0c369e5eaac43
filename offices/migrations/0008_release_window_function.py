"""The release window in SQL (offices/sql/release_window.sql): the furthest day open
for booking at an instant. The one definition, asked by the booking function, the
calendar and offices/release_window.py. The reverse drops it."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "release_window.sql").read_text()
# The file's SHA-256 as this migration was written: the latest migration running the file
# records it, and bookings/tests/test_review_s12.py fails when the file changes without
# a new migration (a fresh database would get the change, an existing one never).
SQL_SHA256 = "797ac9e64fab563ecf93f57fee364b08b59bc72548c841652f9a003fbe9106e1"

DROP = """
DROP FUNCTION IF EXISTS office_released_through(text, integer, time, timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [("offices", "0007_slot_priority_kept")]

    # A list of one: run as one script, not split by sqlparse.
    operations = [migrations.RunSQL([SQL], reverse_sql=[DROP])]
