"""The draw's release gate in SQL (release/sql/release_gate.sql), asked by the booking
function `booking_place` (bookings/sql/booking_place.sql) in the same call as the
other booking rules, and by `first_come_refusal`. Replaces bookings' stub; the reverse
puts the stub back (first come everywhere)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "release_gate.sql").read_text()

STUB = """
CREATE OR REPLACE FUNCTION booking_release_gate(office bigint, day date, draw_placing boolean)
RETURNS text LANGUAGE sql STABLE AS 'SELECT NULL::text';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("release", "0001_draw_release"),
        ("bookings", "0010_booking_place_function"),
    ]

    # A list of one: run as one script, not split by sqlparse.
    operations = [migrations.RunSQL([SQL], reverse_sql=[STUB])]
