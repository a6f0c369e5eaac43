import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from immigration.unread_body import UnreadBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "immigration.settings")

django_application = get_wsgi_application()

if settings.WHATSAPP_WEBHOOK_FAST_PATH:
    # After Django is set up: it imports models.
    from notifications.webhook_wsgi import WebhookFastPath

    # The webhook's deliveries answered in front of Django's handler (the module says
    # why and what it keeps of the middleware chain).
    inner = WebhookFastPath(django_application)
else:
    inner = django_application

# Outermost: it must see what the whole application read of each body.
application = UnreadBodyMiddleware(inner)
