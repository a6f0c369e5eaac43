"""No two capacity overrides of one office share a day: an exclusion constraint over
(office, daterange(starts_on, ends_on, '[]')), which needs btree_gist for the office's
equality (a trusted extension: the database's owner may create it)."""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
import django.db.models.constraints
from django.db import migrations

import offices.models

CONSTRAINT = django.contrib.postgres.constraints.ExclusionConstraint(
    deferrable=django.db.models.constraints.Deferrable["DEFERRED"],
    expressions=[
        ("office", "="),
        (
            offices.models.DateRangeOf(
                "starts_on",
                "ends_on",
                django.contrib.postgres.fields.ranges.RangeBoundary(inclusive_upper=True),
            ),
            "&&",
        ),
    ],
    name="override_no_overlap",
)


def add(apps, schema_editor):
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.add_constraint(apps.get_model("offices", "CapacityOverride"), CONSTRAINT)


def remove(apps, schema_editor):
    schema_editor.remove_constraint(apps.get_model("offices", "CapacityOverride"), CONSTRAINT)


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0005_officer_whatsapp"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(model_name="capacityoverride", constraint=CONSTRAINT),
            ],
            database_operations=[migrations.RunPython(add, remove)],
        ),
    ]
