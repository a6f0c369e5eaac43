"""How evidence is kept in S3-compatible object storage (django-storages' S3 backend):
one place for the options, read by the settings (EVIDENCE_S3_*) and by the tests that
run against a real S3 server. Imports nothing of Django, so settings.py may use it
(and botocore only when a bucket is configured)."""


def s3_evidence_storage(
    *,
    bucket: str,
    endpoint_url: str | None,
    region: str | None,
    access_key: str | None,
    secret_key: str | None,
    addressing_style: str = "path",
) -> dict:
    """The STORAGES entry for a private evidence bucket.

    Objects get no ACL of their own (the bucket's private default), names are never
    overwritten (each upload has a random name; a clash takes a new one), and should
    anything ever ask the storage for a URL it is signed and lives one minute: the
    application itself hands out none, the download view streams the file after its
    permission check. Path-style addressing: MinIO answers on one host name.

    A storage server that is down or hangs must not hang a request (gunicorn's timeout
    is 30 s): connecting gives up after 2 s, reading after 10, with two tries in all;
    the complaint then gets a clear 503 (complaints/evidence.py, `store`)."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            # Given whole here, so it carries the addressing style and signature too.
            "client_config": Config(
                s3={"addressing_style": addressing_style},
                signature_version="s3v4",
                connect_timeout=2,
                read_timeout=10,
                retries={"mode": "standard", "max_attempts": 2},
            ),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 60,
        },
    }
