"""A real S3-compatible server for the evidence tests: moto's HTTP server (moto[server],
requirements-dev.txt) in a subprocess of its own, one per xdist worker, spoken to by
boto3 over HTTP exactly as a deployment speaks to MinIO. Nothing is patched in-process:
requests leave through botocore's signer and HTTP stack.

A test that asks for `s3_evidence` gets a fresh private bucket, and STORAGES pointed at
it as EVIDENCE_S3_BUCKET would point them. The tests skip only when the server truly
cannot start here; under CI (CI=true) that is a failure instead.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from immigration.object_storage import s3_evidence_storage

ACCESS_KEY = "antrean-test"
SECRET_KEY = "antrean-test-secret"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cannot_start(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"the S3 test server must start under CI: {reason}")
    pytest.skip(f"no S3 test server: {reason}")


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a running moto S3 server, stopped at the end of the session."""
    port = _free_port()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as error:
        _cannot_start(str(error))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            _cannot_start(f"moto.server exited with {process.returncode} (moto[server] installed?)")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310 (loopback)
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                _cannot_start("moto.server did not answer within 30 s")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


@pytest.fixture
def s3_evidence(s3_endpoint, settings):
    """Evidence stored in a fresh private bucket of the S3 server, configured as the
    settings configure EVIDENCE_S3_* (immigration/settings.py). Returns (client, bucket)
    to look at the bucket from outside the application."""
    bucket = f"evidence-{secrets.token_hex(6)}"
    client = s3_client(s3_endpoint)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": s3_evidence_storage(
            bucket=bucket,
            endpoint_url=s3_endpoint,
            region=REGION,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
        ),
    }
    return client, bucket
