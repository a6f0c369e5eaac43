from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from bookings import views_desk
from bookings import views_public as booking_pages
from complaints import views_dashboard, views_public
from complaints.views import evidence_file
from immigration.health import healthz
from offices import views as office_views
from release import views as draw_pages
from waitlist import views as waitlist_pages

admin.site.site_header = _("Antrean: Immigration front desk")
admin.site.site_title = _("Antrean")

urlpatterns = [
    path("", office_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("pesan/", booking_pages.book, name="booking-page"),
    path("pesan/<str:code>/", booking_pages.confirmation, name="booking-confirmation"),
    path("pesan/<str:code>/kalender.ics", booking_pages.ics, name="booking-ics"),
    path("cek/", booking_pages.check, name="booking-check"),
    path("cek/tunggu/", waitlist_pages.check, name="waitlist-check"),
    path("tunggu/", waitlist_pages.join, name="waitlist-join"),
    path("undian/entri/<str:reference>/", draw_pages.entry_page, name="draw-entry"),
    path("undian/<slug:office>/<str:release>/", draw_pages.draw_page, name="draw-page"),
    path("undian/<slug:office>/<str:release>.json", draw_pages.draw_json, name="draw-json"),
    path("undian/<slug:office>/<str:release>/ikut/", draw_pages.enter, name="draw-enter"),
    path("loket/pintu/", views_desk.door, name="desk-door"),
    path("loket/antrean/", views_desk.queue, name="desk-queue"),
    path("loket/layanan/", views_desk.counter, name="desk-counter"),
    path("papan/<slug:code>/", views_desk.board, name="desk-board"),
    path("dasbor/", views_dashboard.view, name="dashboard"),
    path("lapor/", views_public.report, name="complaint-report"),
    path("lapor/lacak/", views_public.track_lookup, name="complaint-track-lookup"),
    path("lapor/<str:code>/", views_public.track, name="complaint-track"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(("immigration.api_urls", "api"), namespace="api")),
    path("staff/evidence/<int:pk>/", evidence_file, name="complaint-evidence"),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler400 = "immigration.errors.bad_request"
handler403 = "immigration.errors.permission_denied"
handler404 = "immigration.errors.page_not_found"
# A database outage is a 503; anything else goes on to immigration.errors.server_error.
handler500 = "immigration.db_outage.server_error"
