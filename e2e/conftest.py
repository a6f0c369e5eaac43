"""Browser tests: Playwright driving Debian's Chromium against a live server.

Screenshots of every page visited go to e2e/screenshots/ (printed at the end of the
run) so a person can look at what the applicant sees.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API keeps an event loop running in the test thread; Django would
# then refuse the test's own (synchronous) database work. The test thread does no
# async work of its own, so this is safe here, and only here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 360, "height": 740}
# How long an `expect(...)` waits for what it expects (Playwright's default is 5 s): the
# suite runs beside other xdist workers on 2 cores, where a page served by the live
# server in this process can take seconds. A wait, not a weaker check: what is expected
# must still happen, and a test that never sees it fails after this.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser():
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    print(f"\nScreenshots: {SHOTS}")


@pytest.fixture
def phone_page(browser, live_server, pilot_offices):
    """A phone-sized page (360 px wide) on the live server, in Indonesian."""
    context = browser.new_context(viewport=PHONE, locale="id-ID", base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot():
    def take(page, name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    return take


def expect_image_loaded(locator) -> None:
    """Wait until the image is visible and its bytes are decoded, then check it has width.

    `to_be_visible` only says the box is laid out; the QR is fetched by a second request
    that on a busy 2-core runner can still be in flight. Waiting for `complete` is a wait,
    not a weaker check: an image that fails to load ends complete with width 0 and fails.
    """
    expect(locator).to_be_visible()
    handle = locator.element_handle()
    page = locator.page
    page.wait_for_function("(img) => img.complete", arg=handle, timeout=20_000)
    assert page.evaluate("(img) => img.naturalWidth", handle) > 0
