"""Set up an office's staff member without the admin: `create_staff NAME --office CODE
--role desk|supervisor|inspector [--password P]` (a random password is printed once)."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from offices.models import Office, OfficerProfile
from offices.roles import ROLE_GROUPS, ensure_role_groups


class Command(BaseCommand):
    help = "Create or update a staff user of one office (or headquarters with --office HQ)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--office", required=True, help="office code, or HQ for headquarters")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_GROUPS))
        parser.add_argument("--password", help="default: a random one, printed once")

    @transaction.atomic
    def handle(self, *args, username, office, role, password, **options):
        headquarters = office.upper() == "HQ"
        target = None
        if not headquarters:
            target = Office.objects.filter(code=office).first()
            if target is None:
                raise CommandError(f"No office has the code {office!r}.")
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        shown = password or secrets.token_urlsafe(12)
        try:
            validate_password(shown, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        user.set_password(shown)
        user.is_staff = True
        user.save()
        groups = ensure_role_groups()
        user.groups.remove(*groups.values())
        user.groups.add(groups[role])
        OfficerProfile.objects.update_or_create(
            user=user, defaults={"office": target, "is_headquarters": headquarters}
        )
        where = "headquarters" if headquarters else target.name
        self.stdout.write(f"{'Created' if created else 'Updated'} {username} ({role}, {where}).")
        if not password:
            self.stdout.write(f"Password (shown once): {shown}")
