"""Evidence files, streamed only to staff who handle the case (never by a public URL)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404
from django.views.decorators.cache import never_cache

from complaints.evidence import download_name, private_storage
from complaints.models import Evidence
from complaints.scoping import complaints_for_user


@never_cache
@staff_member_required
def evidence_file(request, pk: int):
    evidence = Evidence.objects.filter(
        pk=pk, complaint__in=complaints_for_user(request.user)
    ).first()
    if evidence is None:
        raise Http404
    response = FileResponse(
        private_storage.open(evidence.file_name, "rb"),
        content_type=evidence.content_type,
        as_attachment=True,
        filename=download_name(evidence_id=evidence.pk, content_type=evidence.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
