"""One round trip per booking (#19): the PL/pgSQL functions of bookings/sql/
booking_place.sql (the capacity rule, the day's room, queue numbers and
`booking_place`, which applies the booking rules, takes the places and writes the
bookings, their events and their confirmations in one call). The file is the one
readable source; this migration runs it as it stands, and its reverse drops them.
PostgreSQL only (the project runs on PostgreSQL everywhere)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "booking_place.sql").read_text()

DROP = """
DROP FUNCTION IF EXISTS booking_place(jsonb);
DROP FUNCTION IF EXISTS booking_fill(text, text, text, text, text);
DROP FUNCTION IF EXISTS booking_phone_limit(text, timestamptz, integer, boolean, integer, bigint[]);
DROP FUNCTION IF EXISTS booking_release_gate(bigint, date, boolean);
DROP FUNCTION IF EXISTS booking_queue_seqs(bigint, date, integer, integer, integer);
DROP FUNCTION IF EXISTS booking_day_top_seq(bigint, date);
DROP FUNCTION IF EXISTS booking_day_room(bigint, date, timestamptz, boolean);
DROP FUNCTION IF EXISTS booking_slot_room(integer, integer, integer, boolean);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0009_fee_name_en"),
        ("offices", "0007_slot_priority_kept"),
        ("notifications", "0007_inbound_durable_inbox"),
    ]

    # A list of one: run as one script, not split by sqlparse (which cuts the
    # dollar-quoted function bodies at their semicolons).
    operations = [migrations.RunSQL([SQL], reverse_sql=[DROP])]
