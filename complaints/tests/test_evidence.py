"""Evidence PDFs cannot carry a payload: parsed for real (object streams included),
rewritten without scripts, actions, attachments, forms or author metadata; stored
readable by the service's user only; downloaded under a name the server chose."""

import datetime as dt
import io
import stat
from zoneinfo import ZoneInfo

import pikepdf
import pytest
from django.contrib.auth.models import User

from complaints.evidence import clean_upload, private_storage
from complaints.services import Upload, complaint_submit
from immigration.errors import DomainError
from offices.models import Office, OfficerProfile
from offices.roles import SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
CONTENT = b"BT /F1 24 Tf 72 700 Td (Diminta Rp500.000 di loket 3) Tj ET"


def _pdf(build=None, *, object_streams=True, **save) -> bytes:
    """A one-page PDF whose page says CONTENT; `build(pdf)` adds the payload."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pdf.make_stream(CONTENT)
    if build:
        build(pdf)
    out = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    pdf.save(out, object_stream_mode=mode, **save)
    return out.getvalue()


def _javascript(pdf):
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")


def _parsed(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data), attempt_recovery=False)


def _every_key(pdf: pikepdf.Pdf) -> set[str]:
    keys, pending, seen = set(), [pdf.trailer], set()
    while pending:
        obj = pending.pop()
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            for key in obj.keys():  # noqa: SIM118 (pikepdf objects iterate no keys)
                keys.add(key)
                pending.append(obj[key])
            if obj.get("/S") is not None:
                keys.add(f"S={obj.get('/S')}")
        elif isinstance(obj, pikepdf.Array):
            pending.extend(obj)
    return keys


def test_javascript_inside_a_compressed_object_stream_is_removed():
    data = _pdf(_javascript)
    assert b"JavaScript" not in data  # compressed: a scan of the bytes sees nothing
    clean = clean_upload("surat.pdf", data, "application/pdf")
    with _parsed(clean.content) as pdf:
        keys = _every_key(pdf)
        assert "/OpenAction" not in keys
        assert "S=/JavaScript" not in keys
        assert "/JS" not in keys
        assert pdf.pages[0].obj.Contents.read_bytes() == CONTENT  # the page is kept


def test_embedded_files_forms_and_active_annotations_are_removed_and_links_defused():
    def payload(pdf):
        pdf.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00")
        page = pdf.pages[0].obj
        page.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="x"))
        widget = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT="/Tx")
        )
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[0, 0, 10, 10],
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI="https://calo.example/track"),
        )
        launch = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[0, 0, 10, 10],
            A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F="cmd.exe"),
        )
        page.Annots = pdf.make_indirect(pikepdf.Array([widget, link, launch]))
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[widget], XFA="<xdp/>")

    data = _pdf(payload)
    clean = clean_upload("surat.pdf", data, "application/pdf")
    with _parsed(clean.content) as pdf:
        keys = _every_key(pdf)
        assert not pdf.attachments
        for key in ("/EmbeddedFiles", "/EF", "/AcroForm", "/XFA", "/AA", "/A", "/URI"):
            assert key not in keys, key
        annots = pdf.pages[0].obj.Annots
        assert [a.Subtype for a in annots] == ["/Link", "/Link"]  # the widget is gone
    assert b"MZ\x90\x00" not in clean.content
    assert b"calo.example" not in clean.content
    assert b"cmd.exe" not in clean.content


def test_the_authors_metadata_is_removed():
    def author(pdf):
        pdf.docinfo["/Author"] = "Siti Nuraini"
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:creator"] = ["Siti Nuraini"]

    clean = clean_upload("surat.pdf", _pdf(author, object_streams=False), "application/pdf")
    assert b"Siti" not in clean.content
    with _parsed(clean.content) as pdf:
        assert "/Info" not in pdf.trailer
        assert "/Metadata" not in pdf.Root


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: _pdf()[:-200], id="truncated"),
        pytest.param(lambda: _pdf().replace(b"startxref", b"startxrfe"), id="damaged_xref"),
        pytest.param(
            lambda: _pdf(encryption=pikepdf.Encryption(user="rahasia", owner="x")),
            id="needs_a_password",
        ),
        pytest.param(lambda: b"%PDF-1.7\n" + b"\x00" * 500 + b"\n%%EOF\n", id="not_a_pdf_inside"),
        pytest.param(
            lambda: (
                b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript "
                b"/JS (app.alert(1)) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
            ),
            id="no_xref_to_repair",
        ),
    ],
)
def test_a_pdf_that_does_not_parse_strictly_is_refused(data):
    with pytest.raises(DomainError) as caught:
        clean_upload("surat.pdf", data(), "application/pdf")
    assert caught.value.code == "invalid_evidence"


def test_a_pdf_without_pages_is_refused():
    pdf = pikepdf.new()
    out = io.BytesIO()
    pdf.save(out)
    with pytest.raises(DomainError):
        clean_upload("surat.pdf", out.getvalue(), "application/pdf")


def _report(tmp_path, settings, uploads):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return complaint_submit(
        office=Office.objects.get(code="tangerang"),
        category="pungli",
        description="Diminta uang di loket.",
        occurred_on=dt.date(2026, 11, 30),
        uploads=uploads,
        now=NOW,
    )


def test_stored_evidence_is_readable_by_the_service_user_only(tmp_path, settings):
    complaint = _report(tmp_path, settings, [Upload("surat.pdf", _pdf(_javascript), "")])
    stored = complaint.evidence.get()
    mode = stat.S_IMODE((tmp_path / stored.file_name).stat().st_mode)
    assert mode == 0o600
    folder = stat.S_IMODE((tmp_path / stored.file_name).parent.stat().st_mode)
    assert folder & 0o077 == 0
    with private_storage.open(stored.file_name, "rb") as f:
        assert b"JavaScript" not in f.read()


def test_evidence_is_downloaded_under_a_name_from_its_checked_type(client, tmp_path, settings):
    hostile = 'bukti".pdf\r\nX-Evil: 1; filename=invoice.exe.pdf'
    complaint = _report(tmp_path, settings, [Upload(hostile, _pdf(), "application/pdf")])
    stored = complaint.evidence.get()
    user = User.objects.create_user("spv", is_staff=True)
    user.groups.add(ensure_role_groups()[SUPERVISOR])
    OfficerProfile.objects.create(user=user, office=Office.objects.get(code="tangerang"))
    client.force_login(user)
    response = client.get(f"/staff/evidence/{stored.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="evidence-{stored.pk}.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert "invoice" not in str(response.headers)
