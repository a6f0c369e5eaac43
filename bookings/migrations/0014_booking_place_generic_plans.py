"""The booking functions again (bookings/sql/booking_place.sql, as 0010 runs it), with
plans PostgreSQL keeps instead of making again at every booking, and no subtransaction
per booking row (#19, bench/README.md "Session 12: the verified booking"):

- `booking_queue_seqs` reads a range filled without gaps from its count and highest
  number, and its plans are generic (the search's custom plan was made at every call);
- `booking_place`'s plans are generic (two of its statements were planned at every call);
- its booking row is inserted with ON CONFLICT DO NOTHING on every unique rule instead
  of inside an exception block (a subtransaction per row), the rule that refused a row
  found afterwards;
- `booking_place_alone`, new: the call as a transaction of its own (one round trip),
  for a booking made outside any transaction; it raises a refusal that changed
  something, so that it rolls back.

The same signatures and answers; the reverse drops `booking_place_alone` and leaves the
others (0010's reverse drops them).
"""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "booking_place.sql").read_text()
# The file's SHA-256 as this migration was written (bookings/tests/test_review_s12.py).
SQL_SHA256 = "6f679242621486a8b30fd35f7dd4c7a234255eda847e2af07e28b1d7dc425f62"


class Migration(migrations.Migration):
    dependencies = [("bookings", "0013_hot_table_indexes")]

    # A list of one: run as one script, not split by sqlparse.
    operations = [migrations.RunSQL([SQL], reverse_sql=["DROP FUNCTION IF EXISTS booking_place_alone(jsonb)"])]
