"""What a locked-out login gets back (django-axes' AXES_LOCKOUT_CALLABLE)."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from immigration.errors import error_body


def lockout_response(request, original_response=None, credentials=None):
    """429 with a page saying when to try again; under /api/ the API's error shape."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed logins to this account from your address. Try again in "
        "%(minutes)s minutes, or ask an administrator to unlock it."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("locked_out", message), status=429)
    else:
        response = render(request, "locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
