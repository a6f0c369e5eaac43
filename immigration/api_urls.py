"""Everything under /api/v1/: each app adds its routes here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from immigration.api_docs import ApiDocsView
from offices.api import OfficeViewSet

router = SimpleRouter()
router.register("offices", OfficeViewSet, basename="office")

urlpatterns = [
    *router.urls,
    path("", include("bookings.api_urls")),
    path("", include("complaints.api_urls")),
    path("", include("waitlist.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
]
