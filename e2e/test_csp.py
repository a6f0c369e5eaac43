"""The Content-Security-Policy holds in a real browser: the pages an applicant and the
staff use, the admin and the API docs load, work and report no violation."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from bookings.models import Booking
from bookings.services import booking_hold_confirm
from complaints.services import complaint_submit
from e2e.conftest import expect_image_loaded
from offices.models import Office, OfficerProfile
from offices.roles import SUPERVISOR, ensure_role_groups

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Registered before any page script runs (Playwright injects it outside the page's
# policy), so every violation of every page in the context is kept.
_LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(browser, live_server, pilot_offices):
    """A page whose CSP violations are collected from the console and from
    `securitypolicyviolation` events; `check()` asserts there were none."""
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, locale="id-ID", base_url=live_server.url
    )
    context.add_init_script(_LISTEN)
    page = context.new_page()
    console = []
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    def check(where: str) -> None:
        events = page.evaluate("window.__csp || []")
        assert (events, console) == ([], []), f"CSP violations on {where}"

    page.check_csp = check
    yield page
    context.close()


def test_the_booking_pages_run_under_the_policy_without_violations(watched):
    page = watched
    response = page.goto("/pesan/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.check_csp("/pesan/")
    page.select_option("select[name=office]", "belakang-padang")
    page.get_by_role("button", name=re.compile("kalender", re.I)).click()
    expect(page.locator("table.calendar")).to_be_visible()
    page.locator("td.open a").first.click()
    page.fill("input[name=name]", "Siti Nur'aini")
    page.fill("input[name=birth_date]", "1978-06-17")
    page.fill("input[name=phone]", "0812 3456 7890")
    page.get_by_role("button", name="Pesan", exact=True).click()
    link = page.locator(".hold-qr img")
    expect_image_loaded(link)
    page.check_csp("the hold with its WhatsApp QR code")
    hold = Booking.objects.get()
    booking_hold_confirm(office=hold.office, phone=hold.phone, code=hold.code)
    page.reload()
    qr = page.locator(".ticket img").first
    expect_image_loaded(qr)
    page.check_csp("the confirmation with its QR code")
    for path in ("/", "/cek/", "/lapor/"):
        page.goto(path)
        page.check_csp(path)


def test_the_admin_and_staff_pages_run_under_the_policy_without_violations(watched):
    page = watched
    user = User.objects.create_user("spv-csp", password="rahasia-sekali-123", is_staff=True)
    user.groups.add(ensure_role_groups()[SUPERVISOR])
    office = Office.objects.get(code="tangerang")
    OfficerProfile.objects.create(user=user, office=office)
    # One case, so the monthly report draws a bar.
    complaint_submit(office=office, category="calo", description="Calo di parkiran.")

    response = page.goto(reverse("admin:login"))
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.check_csp("the admin login")
    page.fill("input[name=username]", "spv-csp")
    page.fill("input[name=password]", "rahasia-sekali-123")
    page.locator("input[type=submit]").click()
    expect(page.locator("#user-tools")).to_be_visible()
    page.check_csp("the admin index")
    # Lists with filters and actions, a form with inlines and date widgets, the report,
    # the dashboard's bars and the desk.
    for url in (
        reverse("admin:bookings_booking_changelist"),
        reverse("admin:complaints_complaint_changelist"),
        reverse("admin:complaints_complaint_report"),
        reverse("admin:offices_office_change", args=[office.pk]),
        reverse("admin:bookings_priorityticket_add"),
        "/dasbor/",
        "/loket/antrean/",
    ):
        page.goto(url)
        page.check_csp(url)


def test_the_api_docs_render_under_the_same_strict_policy(watched):
    page = watched
    schema_path = reverse("api:schema")
    # Swagger UI shows "loading" until its fetch of the schema answers, and the schema is
    # built on every request (seconds on a loaded machine): wait for that answer itself,
    # so a slow one is waited for and a failed one fails here, saying so.
    with page.expect_response(
        lambda response: urlsplit(response.url).path == schema_path, timeout=90_000
    ) as schema:
        response = page.goto("/api/v1/docs/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert "script-src 'self'" in policy
    assert schema.value.status == 200, schema.value.status
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.check_csp("/api/v1/docs/")


def test_the_watch_sees_a_violation_when_there_is_one(watched):
    """The checks above can fail: an inline style attribute added to a page under the
    policy is reported by both listeners."""
    page = watched
    page.goto("/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__csp.length > 0")
    with pytest.raises(AssertionError, match="CSP violations"):
        page.check_csp("/")
