"""The OpenAPI schema as the API's real contract: every operation lists the error
answers it can give (in the one error shape) and who may call it.

Errors that follow from how a view is built are added here rather than by hand on each
view, so a new view cannot forget them: 401 wherever an API key is read (a bad key is
refused even on public endpoints), 401 and 403 where a login or key is required, 403
for a session's missing CSRF token, 429 where a throttle applies, 400, 413 and 415 for
a body, 404 for a path with parameters, 406 where the Accept header is negotiated,
and 503 everywhere (the database is unreachable, a lock is busy, or the birth-date
lockout cannot be checked). A view still declares its own domain errors (409 and the
like) with `@extend_schema`.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import SAFE_METHODS, AllowAny

from immigration.errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "The request is invalid: `fields` says what is wrong with which input.",
    401: "No credentials, or an API key that is unknown, revoked or expired.",
    403: "The caller may not do this (a key without the scope, a user without an "
    "office, a session without its CSRF token).",
    404: "Not found, or not in the caller's offices.",
    406: "The Accept header asks for something other than JSON.",
    413: "The request body is too large.",
    415: "The body is not in a media type the endpoint reads.",
    429: "Too many requests: retry after the `Retry-After` header's seconds.",
    503: "Nothing was changed; retry after the `Retry-After` header's seconds. `code` says "
    "why: `service_unavailable` (the database is unreachable), `busy` (another request "
    "holds a lock on the same booking, phone or day for longer than the lock timeout), "
    "`lockout_unavailable` (the birth-date lockout cannot be checked, so no code is "
    "looked up).",
}


class OfficeTimeOfDay(OpenApiSerializerFieldExtension):
    """Times of day (hours, release time, planned slots) are an office's wall-clock time,
    written without an offset. OpenAPI's `format: time` is RFC 3339's full-time, which
    requires one, so it would describe these wrongly."""

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$",
            "description": "Local time of day at the office (see its `timezone`), no offset.",
            "example": "08:00:00",
        }


def error_response(status: int) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status])


class AutoSchema(SpectacularAutoSchema):
    def error_statuses(self) -> set[int]:
        view, method = self.view, self.method
        statuses: set[int] = {503}  # any operation: an outage, a busy lock, the lockout
        authenticators = view.get_authenticators()
        if authenticators:
            statuses.add(401)
        if not any(isinstance(p, AllowAny) for p in view.get_permissions()):
            statuses |= {401, 403}
        if method not in SAFE_METHODS and any(
            isinstance(a, SessionAuthentication) for a in authenticators
        ):
            statuses.add(403)
        if view.get_throttles():
            statuses.add(429)
        if method in ("POST", "PUT", "PATCH") and view.get_parsers():
            statuses |= {400, 413, 415}
        if "{" in self.path:
            statuses.add(404)
        if isinstance(view.get_content_negotiator(), DefaultContentNegotiation):
            statuses.add(406)
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in sorted(self.error_statuses()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    error_response(status), str(status), direction=direction
                )
        return responses

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        permissions = self.view.get_permissions()
        scopes = sorted({p.required_scope for p in permissions if hasattr(p, "required_scope")})
        staff = sorted({p.staff_permission for p in permissions if hasattr(p, "staff_permission")})
        if scopes:
            # Which key scope the operation needs (apiKey schemes have no scopes in 3.0).
            operation["x-api-key-scopes"] = scopes
            key = "an API key with the scope " + ", ".join(f"`{scope}`" for scope in scopes)
            who = (
                "Staff of the office whose role grants "
                + ", ".join(f"`{permission}`" for permission in staff)
                + f" (session login), or {key}."
                if staff
                else f"Only {key} (no session login)."
            )
            operation["description"] = "\n\n".join(
                part for part in (operation.get("description"), who) if part
            )
        return operation
