"""Rule (b) of `booking_place` (one person, one live booking a day at any office) as two
index lookups instead of an OR that read every booking of the day nationwide
(bench/README.md, "Session 12: indexes of the hot tables"): the person arm uses
booking_person_date_idx, the NIK arm the new partial index booking_nik_date_idx, added
here with the function that uses it (an index no query uses would only cost upkeep).

The reverse drops the index and leaves the function (it reads rows the same way with
or without it, only slower).
"""

from pathlib import Path

from django.db import migrations, models

SQL = (Path(__file__).resolve().parent.parent / "sql" / "booking_place.sql").read_text()
# The file's SHA-256 as this migration was written (bookings/tests/test_review_s12.py).
SQL_SHA256 = "35bef3113688b75ccd25396c0e5fafe14cbfa4eff79965250e0c13f8994f1404"


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0014_booking_place_generic_plans"),
        ("offices", "0009_slot_office_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(
                condition=~models.Q(nik=""), fields=["nik", "date"], name="booking_nik_date_idx"
            ),
        ),
        # A list of one: run as one script, not split by sqlparse.
        migrations.RunSQL([SQL], reverse_sql=migrations.RunSQL.noop),
    ]
