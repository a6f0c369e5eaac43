"""Reading JSON request bodies strictly: the API's parser and the webhook share it.

Python's json module reads what a careful API should refuse: it takes the last of
duplicate keys (which one did the client mean?), accepts NaN and Infinity, reads a
body of any size, and a body nested ten thousand levels deep ends in RecursionError,
a crash instead of a 400.
"""

import codecs
import json

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class InvalidJson(ValueError):
    """The body is not one JSON document we accept; the message says why."""


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise InvalidJson(f"duplicate key {key[:40]!r}")
        result[key] = value
    return result


def _no_constant(name: str):
    raise InvalidJson(f"{name} is not a number JSON allows")


def loads(data: bytes | str):
    """The document in `data`, or InvalidJson."""
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidJson("nested too deeply") from None
    except InvalidJson:
        raise
    except ValueError as exc:  # also UnicodeDecodeError and too many digits
        raise InvalidJson(str(exc)[:200]) from None


def content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSON parser, with the limits above and Django's body size limit
    (DATA_UPLOAD_MAX_MEMORY_SIZE), which DRF does not apply to JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None and content_length(request) > limit:
            raise BodyTooLarge()
        data = stream.read(limit + 1 if limit is not None else -1) if stream else b""
        if limit is not None and len(data) > limit:
            raise BodyTooLarge()
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            document = loads(codecs.decode(data, encoding))
            _refuse_lone_surrogates(document)
        except (InvalidJson, UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(
                _("The body is not valid JSON: %(reason)s.") % {"reason": exc}
            ) from None
        return document


def _refuse_lone_surrogates(document) -> None:
    """A \\ud800 escape without its pair is valid JSON syntax but no character: it
    cannot be stored, nor even echoed back in an error message (I-JSON, RFC 7493,
    forbids it)."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidJson("a string holds a lone surrogate") from None
    except RecursionError:
        raise InvalidJson("nested too deeply") from None
