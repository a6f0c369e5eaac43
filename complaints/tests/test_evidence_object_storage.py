"""Evidence in S3-compatible object storage (EVIDENCE_S3_BUCKET), against a real S3
server over HTTP (conftest.py): the files land in the private bucket and nowhere on
disk, and the download keeps every protection it has with the local folder: office
scoping, the server's file name, the rewritten PDF, no URL of the bucket ever given out,
and the upload limits."""

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
import pytest
from django.contrib.auth.models import User
from django.utils import translation

from complaints.evidence import MAX_BYTES, MAX_FILES, private_storage
from complaints.models import Complaint, Evidence
from complaints.services import Upload, complaint_add_information, complaint_submit
from immigration.errors import DomainError
from offices.models import Office, OfficerProfile
from offices.roles import DESK, INSPECTOR, SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def _pdf_with_javascript() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
    pdf.docinfo["/Author"] = "Budi Pelapor"
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _objects(s3) -> dict[str, bytes]:
    client, bucket = s3
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }


def _staff(username, role, office_code=None):
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    office = Office.objects.get(code=office_code) if office_code else None
    OfficerProfile.objects.create(user=user, office=office, is_headquarters=office is None)
    return user


def _report(uploads, office="tangerang") -> Complaint:
    return complaint_submit(
        office=Office.objects.get(code=office),
        category="pungli",
        description="Diminta uang di loket.",
        occurred_on=dt.date(2026, 11, 30),
        uploads=uploads,
        now=NOW,
    )


@pytest.fixture
def bucket(s3_evidence, settings, tmp_path):
    """Object storage configured; the local folder points at an empty directory so a
    file written there by mistake would show."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return s3_evidence


def test_evidence_goes_to_the_bucket_rewritten_and_nothing_to_disk(bucket, tmp_path):
    complaint = _report([Upload("surat.pdf", _pdf_with_javascript(), "application/pdf")])
    stored = complaint.evidence.get()
    objects = _objects(bucket)
    assert list(objects) == [stored.file_name]
    assert stored.file_name.startswith("evidence/")
    assert "surat" not in stored.file_name
    data = objects[stored.file_name]
    assert b"JavaScript" not in data
    assert b"Budi" not in data
    assert len(data) == stored.size
    assert not (tmp_path / "private").exists()


def test_objects_carry_no_grant_beyond_the_owner(bucket):
    client, name = bucket
    stored = _report([Upload("foto.pdf", _pdf_with_javascript(), "")]).evidence.get()
    acl = client.get_object_acl(Bucket=name, Key=stored.file_name)
    # A public-read object would add a grant to the AllUsers group (a URI grantee).
    grantees = [(grant["Grantee"]["Type"], grant["Grantee"].get("ID")) for grant in acl["Grants"]]
    assert grantees == [("CanonicalUser", acl["Owner"]["ID"])]


def test_the_office_supervisor_downloads_the_stored_bytes_under_the_server_name(bucket, client):
    stored = _report([Upload("bukti.pdf", _pdf_with_javascript(), "")]).evidence.get()
    client.force_login(_staff("spv", SUPERVISOR, "tangerang"))
    response = client.get(f"/staff/evidence/{stored.pk}/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == _objects(bucket)[stored.file_name]
    assert response["Content-Disposition"] == f'attachment; filename="evidence-{stored.pk}.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    # Streamed by the application: no redirect, no address of the bucket, no signature.
    headers = str(response.headers).lower()
    assert "location" not in {key.lower() for key in response.headers}
    assert "amz" not in headers
    assert bucket[1] not in headers


def test_nobody_outside_the_case_reads_a_stored_object(bucket, client):
    stored = _report([Upload("bukti.pdf", _pdf_with_javascript(), "")]).evidence.get()
    about_supervisor = _report([Upload("b.pdf", _pdf_with_javascript(), "")])
    Complaint.objects.filter(pk=about_supervisor.pk).update(about_supervisor=True)
    hidden = about_supervisor.evidence.get()
    url = f"/staff/evidence/{stored.pk}/"

    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(_staff("spv-bandung", SUPERVISOR, "bandung"))
    assert client.get(url).status_code == 404
    client.force_login(_staff("desk", DESK, "tangerang"))
    assert client.get(url).status_code in (302, 403, 404)
    client.force_login(_staff("spv", SUPERVISOR, "tangerang"))
    assert client.get(f"/staff/evidence/{hidden.pk}/").status_code == 404
    assert client.get(f"/staff/evidence/{hidden.pk + 1000}/").status_code == 404
    # The inspector at headquarters reads both: the refusals above were the scoping.
    client.force_login(_staff("inspektur", INSPECTOR))
    assert client.get(url).status_code == 200
    assert client.get(f"/staff/evidence/{hidden.pk}/").status_code == 200


def test_a_refused_file_leaves_the_bucket_empty(bucket):
    good = Upload("ok.pdf", _pdf_with_javascript(), "")
    with pytest.raises(DomainError) as too_big:
        _report([good, Upload("besar.pdf", b"%PDF-" + b"0" * MAX_BYTES, "")])
    assert too_big.value.code == "invalid_evidence"
    with pytest.raises(DomainError) as not_pdf:
        _report([good, Upload("x.png", b"not an image", "image/png")])
    assert not_pdf.value.code == "invalid_evidence"
    assert _objects(bucket) == {}
    assert not Complaint.objects.exists()


def test_the_file_count_limit_holds_across_additions(bucket):
    good = Upload("ok.pdf", _pdf_with_javascript(), "")
    complaint = _report([good] * (MAX_FILES - 1))
    with pytest.raises(DomainError) as caught:
        complaint_add_information(complaint=complaint, text="Satu lagi.", uploads=[good, good])
    assert caught.value.code == "too_many_files"
    assert len(_objects(bucket)) == MAX_FILES - 1 == Evidence.objects.count()


def test_files_already_stored_are_removed_when_the_report_fails(bucket, monkeypatch):
    """The second file's row fails after the first file reached the bucket: the
    bucket is tidied, as the folder is."""
    real_create = Evidence.objects.create
    calls = []

    def create_then_fail(**values):
        calls.append(values)
        if len(calls) == 2:
            raise RuntimeError("database gone")
        return real_create(**values)

    monkeypatch.setattr(Evidence.objects, "create", create_then_fail)
    good = Upload("ok.pdf", _pdf_with_javascript(), "")
    with pytest.raises(RuntimeError):
        _report([good, good])
    assert _objects(bucket) == {}


def test_the_api_upload_limit_holds_with_object_storage(bucket, client):
    response = client.post(
        "/api/v1/complaints/",
        {
            "office": "tangerang",
            "category": "calo",
            "description": "Calo menawarkan nomor antrean.",
            "evidence": [io.BytesIO(b"%PDF-" + b"0" * (MAX_BYTES + 1))],
        },
    )
    assert response.status_code in (400, 413)
    assert _objects(bucket) == {}
    assert private_storage.listdir("")[1] == []


def test_settings_pick_object_storage_only_when_a_bucket_is_named():
    """`make run` and a deployment without EVIDENCE_S3_BUCKET keep the local folder."""
    probe = (
        "import django, json; django.setup(); from django.conf import settings; "
        "e = settings.STORAGES.get('evidence'); "
        "c = e and e['OPTIONS']['client_config']; "
        "print(json.dumps(e and {'BACKEND': e['BACKEND'], **e['OPTIONS'], "
        "'client_config': [c.connect_timeout, c.read_timeout]}))"
    )
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "immigration.settings",
        "DJANGO_DEBUG": "true",
        "EVIDENCE_S3_BUCKET": "",
    }
    root = Path(__file__).resolve().parents[2]

    def storage(**env):
        out = subprocess.run(
            [sys.executable, "-c", probe],
            env={**base, **env},
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    assert storage() == "null"
    configured = storage(
        EVIDENCE_S3_BUCKET="antrean-evidence",
        EVIDENCE_S3_ENDPOINT_URL="http://minio:9000",
        EVIDENCE_S3_ACCESS_KEY_ID="k",
        EVIDENCE_S3_SECRET_ACCESS_KEY="s",
    )
    assert '"storages.backends.s3.S3Storage"' in configured
    assert '"bucket_name": "antrean-evidence"' in configured
    assert '"endpoint_url": "http://minio:9000"' in configured
    assert '"querystring_expire": 60' in configured
    assert '"client_config": [2, 10]' in configured  # a hung server cannot hang a request


@pytest.fixture
def storage_down(settings, tmp_path):
    """STORAGES pointed at an S3 address where nothing listens (MinIO stopped)."""
    from complaints.tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, _free_port
    from immigration.object_storage import s3_evidence_storage

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": s3_evidence_storage(
            bucket="evidence-gone",
            endpoint_url=f"http://127.0.0.1:{_free_port()}",
            region=REGION,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
        ),
    }


def test_storage_down_refuses_the_report_with_a_clear_503_and_keeps_nothing(storage_down):
    with pytest.raises(DomainError) as caught:
        _report([Upload("bukti.pdf", _pdf_with_javascript(), "")])
    assert caught.value.code == "evidence_storage_unavailable"
    assert caught.value.http_status == 503
    with translation.override("en"):
        assert "try again" in str(caught.value.message)
    with translation.override("id"):
        assert "coba lagi" in str(caught.value.message)
    assert not Complaint.objects.exists()
    assert not Evidence.objects.exists()


def test_storage_down_is_a_503_with_retry_after_for_the_api(storage_down, client):
    response = client.post(
        "/api/v1/complaints/",
        {
            "office": "tangerang",
            "category": "calo",
            "description": "Calo menawarkan nomor antrean.",
            "evidence": [io.BytesIO(_pdf_with_javascript())],
        },
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "evidence_storage_unavailable"
    assert int(response["Retry-After"]) > 0
    assert not Complaint.objects.exists()


def test_a_report_without_files_is_taken_with_the_storage_down(storage_down):
    """Only the files need the storage: a report without any still goes through."""
    assert _report([]).evidence.count() == 0
