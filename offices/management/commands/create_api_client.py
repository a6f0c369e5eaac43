"""Give an integrator an API key: `create_api_client NAME [--office CODE] --scope S ...`.
The key is printed once; only its hash is stored."""

from django.core.management.base import BaseCommand, CommandError

from offices.models import ApiClient, ApiScope, Office


class Command(BaseCommand):
    help = "Create an API key for an integrator (WhatsApp gateway, bank, kiosk)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--office", help="tie the key to one office (default: every office)")
        parser.add_argument(
            "--scope",
            action="append",
            choices=ApiScope.values,
            dest="scopes",
            help="repeat for several; default: bookings:read",
        )

    def handle(self, *args, name, office, scopes, **options):
        target = None
        if office:
            target = Office.objects.filter(code=office).first()
            if target is None:
                raise CommandError(f"No office has the code {office!r}.")
        client, key = ApiClient.objects.create_key(
            name=name, office=target, scopes=sorted(set(scopes or [ApiScope.BOOKINGS_READ]))
        )
        self.stdout.write(
            f"API client {client.name!r} ({', '.join(client.scopes)}) for "
            f"{target.name if target else 'every office'}."
        )
        self.stdout.write(f"Key (shown once; send it as 'Authorization: Api-Key <key>'):\n{key}")
