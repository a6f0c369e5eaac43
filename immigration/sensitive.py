"""Keeping personal data out of error reports.

Django's error reporter (the 500 page with DEBUG, the e-mail to ADMINS, and anything
built on SafeExceptionReporterFilter) shows a request's POST parameters and the local
variables of every frame of the traceback. A view that receives a birth date, NIK,
phone number or a reporter's contact details is wrapped here, so the reporter shows
stars instead: every POST parameter, and every local variable of the view and of
everything it calls (the services, the serializers), since the filter hides the
variables of each frame below a `sensitive_variables` wrapper.

DRF views are wrapped at `dispatch`, which still receives Django's HttpRequest
(`sensitive_post_parameters` refuses DRF's Request) and runs the whole handler. JSON
bodies never appear in the report; form-encoded ones are hidden as POST parameters.
"""

from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables


def sensitive_view(view):
    """Hide every POST parameter and every local variable from error reports."""
    return sensitive_post_parameters()(sensitive_variables()(view))


def sensitive_api_view(view_class):
    """`sensitive_view` for a class-based (DRF) view."""
    return method_decorator(sensitive_view, name="dispatch")(view_class)
