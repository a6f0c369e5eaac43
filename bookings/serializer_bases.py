"""What the applicant-facing answers of a booking and of a waiting-list request share:
the office the row belongs to, and the WhatsApp proof a row from an unproven phone
waits for (a booking's hold, a pending waiting-list request)."""

import datetime as dt
from types import ModuleType

from rest_framework import serializers

# The bases say what they are in comments: drf-spectacular prints a serializer's
# docstring, inherited ones too, as the description of its schema.


# A row of one office, named as every answer names it: the office's code, its name, and
# its zone's label (WIB, WITA, WIT) that the row's times are in.
class OfficeRowSerializer(serializers.ModelSerializer):
    office = serializers.CharField(source="office.code")
    office_name = serializers.CharField(source="office.name")
    zone = serializers.CharField(source="office.zone_label")

    @staticmethod
    def instant(value: dt.datetime | None) -> str | None:
        """An instant as the API writes every time (ISO 8601 with the UTC offset of the
        zone the caller renders in, the office's), or None."""
        return None if value is None else serializers.DateTimeField().to_representation(value)


# A row that waits for its phone's proof: while `awaits_proof`, the WhatsApp message that
# proves it (`confirm_text`) and a wa.me link that sends it (`confirm_url`), both from
# `proof`, the module that words them; None once proven. Subclasses declare the two
# fields with the help text that names their state.
class AwaitingProofSerializer(OfficeRowSerializer):
    proof: ModuleType  # confirm_text(row) and confirm_url(row)

    def awaits_proof(self, row) -> bool:
        raise NotImplementedError

    def get_confirm_text(self, row) -> str | None:
        return self.proof.confirm_text(row) if self.awaits_proof(row) else None

    def get_confirm_url(self, row) -> str | None:
        return self.proof.confirm_url(row) if self.awaits_proof(row) else None
