"""Fewer indexes on the booking and its events (#19, bench/README.md "Session 12:
indexes of the hot tables"): every insert and every non-HOT update (a status change)
writes an entry in each index, and the no-show sweep spent about half of PostgreSQL's
time on that upkeep.

- bookings_booking: the single-column office index (booking_office_day_idx and the
  office-day constraints lead with the office), the fee index (read only by the PROTECT
  check of a fee's deletion) and the code's varchar_pattern_ops twin (no LIKE query)
  are dropped. The code stays unique: its constraint is renamed, not rebuilt.
- bookings_bookingevent: the actor indexes become partial (set only on staff and
  integrator events; every sweep's event has neither), and actor_client's
  varchar_pattern_ops twin goes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CODE_LIKE = "bookings_booking_code_6c4eed12_like"


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0012_booking_place_reads_release_window"),
        ("offices", "0008_release_window_function"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The code's unique constraint keeps its index (renamed: no rebuild, and no
        # moment without it); only the pattern-ops twin is dropped.
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE bookings_booking RENAME CONSTRAINT bookings_booking_code_key"
                    f" TO booking_code_unique; DROP INDEX IF EXISTS {CODE_LIKE};",
                    reverse_sql="ALTER TABLE bookings_booking RENAME CONSTRAINT"
                    " booking_code_unique TO bookings_booking_code_key;"
                    f" CREATE INDEX {CODE_LIKE} ON bookings_booking (code varchar_pattern_ops);",
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="booking",
                    name="code",
                    field=models.CharField(max_length=8, verbose_name="booking code"),
                ),
                migrations.AddConstraint(
                    model_name="booking",
                    constraint=models.UniqueConstraint(
                        fields=("code",), name="booking_code_unique"
                    ),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="booking",
            name="fee",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="bookings.fee",
                verbose_name="fee",
            ),
        ),
        migrations.AlterField(
            model_name="booking",
            name="office",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="bookings",
                to="offices.office",
                verbose_name="office",
            ),
        ),
        migrations.AlterField(
            model_name="bookingevent",
            name="actor_client",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="offices.apiclient",
                verbose_name="API client",
            ),
        ),
        migrations.AlterField(
            model_name="bookingevent",
            name="actor_user",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="staff user",
            ),
        ),
        migrations.AddIndex(
            model_name="bookingevent",
            index=models.Index(
                condition=models.Q(("actor_user__isnull", False)),
                fields=["actor_user"],
                name="event_actor_user_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="bookingevent",
            index=models.Index(
                condition=models.Q(("actor_client__isnull", False)),
                fields=["actor_client"],
                name="event_actor_client_idx",
            ),
        ),
    ]
