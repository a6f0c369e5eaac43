"""Fewer indexes on the outbox and the WhatsApp inbox (#19, bench/README.md "Session
12: indexes of the hot tables"). Every message is inserted and then updated two or
three times (queued, sending, sent; pending, done), each update a new row version with
an entry in every index whose columns or predicate it touches.

- Outbox: the claim's and the sweep's partial indexes become one (status, urgency, id)
  over queued and sending rows; the dedupe key and the provider's id are unique where
  set (partial: most rows have NULL, which took an entry at every version); the
  subject's index (the admin searches substrings, which a btree cannot serve) and the
  varchar_pattern_ops twins go.
- Inbox: the provider id's unique constraint is kept (renamed, not rebuilt: the
  inbox's ON CONFLICT needs it) without its pattern-ops twin; the office code's index
  becomes (office_code, received_at), the admin's filtered newest-first list.
"""

from django.db import migrations, models

INBOUND_KEY = "notifications_inboundmessage_provider_message_id_key"
INBOUND_LIKE = "notifications_inboundmessage_provider_message_id_e8a784bf_like"


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0008_early_status_callbacks"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outboundmessage",
            index=models.Index(
                condition=models.Q(("status__in", ["queued", "sending"])),
                fields=["status", "urgency", "id"],
                name="outbox_queue_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="outboundmessage",
            name="outbox_pending_idx",
        ),
        migrations.RemoveIndex(
            model_name="outboundmessage",
            name="outbox_claim_idx",
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE notifications_inboundmessage RENAME CONSTRAINT {INBOUND_KEY}"
                    f" TO inbound_provider_id_unique; DROP INDEX IF EXISTS {INBOUND_LIKE};",
                    reverse_sql="ALTER TABLE notifications_inboundmessage RENAME CONSTRAINT"
                    f" inbound_provider_id_unique TO {INBOUND_KEY}; CREATE INDEX {INBOUND_LIKE}"
                    " ON notifications_inboundmessage (provider_message_id varchar_pattern_ops);",
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="inboundmessage",
                    name="provider_message_id",
                    field=models.CharField(max_length=128, verbose_name="provider message id"),
                ),
                migrations.AddConstraint(
                    model_name="inboundmessage",
                    constraint=models.UniqueConstraint(
                        fields=("provider_message_id",), name="inbound_provider_id_unique"
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="inboundmessage",
            index=models.Index(
                fields=["office_code", "received_at"], name="inbound_office_time_idx"
            ),
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="office_code",
            field=models.SlugField(
                blank=True, db_index=False, max_length=40, verbose_name="office"
            ),
        ),
        migrations.AddConstraint(
            model_name="outboundmessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("dedupe_key__isnull", False)),
                fields=("dedupe_key",),
                name="outbox_dedupe_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboundmessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("provider_message_id__isnull", False)),
                fields=("provider_message_id",),
                name="outbox_provider_id_unique",
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="dedupe_key",
            field=models.CharField(blank=True, max_length=100, null=True),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="provider_message_id",
            field=models.CharField(
                blank=True, max_length=128, null=True, verbose_name="provider message id"
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="subject",
            field=models.CharField(blank=True, max_length=64, verbose_name="label"),
        ),
    ]
