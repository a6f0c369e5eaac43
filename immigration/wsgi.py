import os

from django.core.wsgi import get_wsgi_application

from immigration.unread_body import UnreadBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "immigration.settings")

# Outermost: it must see what the whole application read of each body.
application = UnreadBodyMiddleware(get_wsgi_application())
