"""Everything under /api/v1/: each app adds its routes here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from offices.api import OfficeViewSet

router = SimpleRouter()
router.register("offices", OfficeViewSet, basename="office")

urlpatterns = [
    *router.urls,
    path("", include("bookings.api_urls")),
    path("", include("complaints.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
