from django.urls import path, re_path

from waitlist import api

REF = r"(?P<ref>[A-Za-z0-9-]{8,9})"

urlpatterns = [
    path("waitlist/", api.WaitlistJoinView.as_view(), name="waitlist-list"),
    re_path(rf"^waitlist/{REF}/lookup/$", api.WaitlistLookupView.as_view(), name="waitlist-lookup"),
    re_path(rf"^waitlist/{REF}/leave/$", api.WaitlistLeaveView.as_view(), name="waitlist-leave"),
    path("offices/<slug:code>/waitlist/", api.OfficeWaitlistView.as_view(), name="office-waitlist"),
]
