"""The booking functions again (bookings/sql/booking_place.sql, the one readable source,
as 0010 runs it): `booking_day_room` and `booking_day_top_seq` are PL/pgSQL now, whose
plans PostgreSQL caches per connection, where a SQL function called in FROM was planned
again at every booking (#19, bench/README.md "The booking call's plans"). The same
signatures and answers; the reverse leaves them (0010's reverse drops them all)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "booking_place.sql").read_text()


class Migration(migrations.Migration):
    dependencies = [("bookings", "0010_booking_place_function")]

    # A list of one: run as one script, not split by sqlparse.
    operations = [migrations.RunSQL([SQL], reverse_sql=migrations.RunSQL.noop)]
