"""Content negotiation for endpoints whose answer does not depend on the Accept header.

A QR image is an image and a webhook reply is what the provider expects, whatever the
caller says it accepts: refusing them with 406 would only break clients. Errors from
these endpoints are JSON in the one error shape.
"""

from rest_framework.negotiation import BaseContentNegotiation


class IgnoreClientAccept(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
