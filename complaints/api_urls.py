from django.urls import path, re_path

from complaints import api

CODE = r"(?P<code>[A-Za-z0-9-]{8,9})"

urlpatterns = [
    path("complaints/", api.ComplaintCreateView.as_view(), name="complaint-list"),
    re_path(rf"^complaints/{CODE}/$", api.ComplaintDetailView.as_view(), name="complaint-detail"),
    re_path(
        rf"^complaints/{CODE}/information/$",
        api.ComplaintInformationView.as_view(),
        name="complaint-information",
    ),
]
