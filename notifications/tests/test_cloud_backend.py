"""The Cloud API backend against a stand-in Graph API on loopback: real HTTP, real
multipart uploads, the provider's answers scripted."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from notifications.backends.base import OutgoingMessage, PermanentSendError, TransientSendError
from notifications.backends.cloud import CloudBackend


class GraphStandIn(BaseHTTPRequestHandler):
    requests: list = []
    answers: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        GraphStandIn.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": body}
        )
        status, answer = (
            GraphStandIn.answers.pop(0)
            if GraphStandIn.answers
            else (200, {"messages": [{"id": "wamid.OK"}]})
        )
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def graph(settings):
    server = HTTPServer(("127.0.0.1", 0), GraphStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    GraphStandIn.requests, GraphStandIn.answers = [], []
    settings.WHATSAPP_GRAPH_URL = f"http://127.0.0.1:{server.server_port}"
    settings.WHATSAPP_API_VERSION = "v21.0"
    settings.WHATSAPP_ACCESS_TOKEN = "token-123"
    yield GraphStandIn
    server.shutdown()
    server.server_close()


def _message(**kwargs):
    return OutgoingMessage(to="6281234567890", text="Halo", phone_number_id="1098765", **kwargs)


def test_a_text_within_the_24_hour_window(graph):
    result = CloudBackend().send(_message())
    assert result.provider_message_id == "wamid.OK"
    [request] = graph.requests
    assert request["path"] == "/v21.0/1098765/messages"
    assert request["headers"]["Authorization"] == "Bearer token-123"
    body = json.loads(request["body"])
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": "Halo"},
    }


def test_an_image_is_uploaded_then_sent_by_media_id_with_the_text_as_caption(graph):
    graph.answers = [(200, {"id": "media-77"}), (200, {"messages": [{"id": "wamid.IMG"}]})]
    assert (
        CloudBackend().send(_message(image_png=b"\x89PNG fake")).provider_message_id == "wamid.IMG"
    )
    upload, send = graph.requests
    assert upload["path"] == "/v21.0/1098765/media"
    assert b'name="file"; filename="qr.png"' in upload["body"]
    assert b"\x89PNG fake" in upload["body"]
    assert json.loads(send["body"])["image"] == {"id": "media-77", "caption": "Halo"}


def test_outside_the_window_the_template_is_sent(graph):
    message = _message(
        session_open=False,
        template_name="antrean_booking_reminder",
        template_params=("JOJO", "ABCD-2345"),
        language="en",
        image_png=b"png",
    )
    CloudBackend().send(message)
    [request] = graph.requests
    body = json.loads(request["body"])
    assert body["type"] == "template"
    assert body["template"]["name"] == "antrean_booking_reminder"
    assert body["template"]["language"] == {"code": "en"}
    assert [p["text"] for p in body["template"]["components"][0]["parameters"]] == [
        "JOJO",
        "ABCD-2345",
    ]


@pytest.mark.parametrize(
    ("status", "answer", "error"),
    [
        (500, {"error": {"code": 1, "message": "unknown"}}, TransientSendError),
        (429, {"error": {"code": 130429, "message": "rate limit"}}, TransientSendError),
        (400, {"error": {"code": 131026, "message": "Message undeliverable"}}, PermanentSendError),
        (400, {"error": {"code": 100, "message": "Invalid parameter"}}, PermanentSendError),
    ],
)
def test_provider_errors_are_sorted_into_retry_or_give_up(graph, status, answer, error):
    graph.answers = [(status, answer)]
    with pytest.raises(error):
        CloudBackend().send(_message())


def test_an_unreachable_provider_is_a_transient_failure(settings, unused_tcp_port):
    settings.WHATSAPP_GRAPH_URL = f"http://127.0.0.1:{unused_tcp_port}"
    with pytest.raises(TransientSendError):
        CloudBackend().send(_message())


def test_an_office_without_a_phone_number_id_cannot_send():
    with pytest.raises(PermanentSendError):
        CloudBackend().send(OutgoingMessage(to="6281234567890", text="Halo"))


def test_an_accepted_send_without_an_id_is_not_sent_again(graph):
    graph.answers = [(200, {"unexpected": True})]
    assert CloudBackend().send(_message()).provider_message_id.startswith("unconfirmed-")
