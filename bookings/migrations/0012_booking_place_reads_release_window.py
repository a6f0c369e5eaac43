"""The booking function again (bookings/sql/booking_place.sql, as 0010 runs it): its
`not_released` check now calls office_released_through (offices/sql/release_window.sql,
offices 0008) instead of writing the release window out inline, so the calendar and the
booking judge a day by one definition. The same signature and answers; the reverse leaves
it (0010's reverse drops them all)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "booking_place.sql").read_text()
# The file's SHA-256 as this migration was written: the latest migration running the file
# records it, and bookings/tests/test_review_s12.py fails when the file changes without
# a new migration (a fresh database would get the change, an existing one never).
SQL_SHA256 = "96c64962e384d2c847fe6d4d77bc55a224e3ce845d0cbe46dbef231e8dc6e1de"


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0011_booking_functions_cached_plans"),
        ("offices", "0008_release_window_function"),
    ]

    # A list of one: run as one script, not split by sqlparse.
    operations = [migrations.RunSQL([SQL], reverse_sql=migrations.RunSQL.noop)]
