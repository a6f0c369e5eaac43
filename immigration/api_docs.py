"""The API docs page: Swagger UI, served by us (drf-spectacular-sidecar, no CDN)."""

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script fetched as a file of ours (`?script`) instead
    of written inline, and its page styles in a static file, so the page runs under the
    site's Content-Security-Policy."""

    template_name = "api/docs.html"
