"""How the OpenAPI schema describes API keys (loaded by OfficesConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "offices.access.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Api-Key <key>`: a key made by `manage.py create_api_client` (shown once, "
                "stored hashed). Each key holds scopes and may be tied to one office."
            ),
        }
