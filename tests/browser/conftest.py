"""Headless system Chromium (Debian's /usr/bin/chromium) driven by Playwright; never a downloaded browser."""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in this thread; Django's ORM calls made by the tests
# themselves (seeding, assertions on the sandbox state) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from tests.contract.recorder import graph_contract  # noqa: F401 (autouse: every Graph request judged)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As the machine's probe runs it: no background traffic (the network is closed), no sandbox as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="package")  # closed (with Playwright's event loop) before other packages run
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=["light"])
def color_scheme(request):
    return request.param


# A laptop and a phone (390 px: the narrowest the desk is made for); a test asks for the phone with
# ``@pytest.mark.parametrize("viewport", ["phone"], indirect=True)``.
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=["desktop"])
def viewport(request):
    return VIEWPORTS[request.param]


@pytest.fixture
def timezone_id(request):
    """The browser's time zone: the machine's, or the IANA name a test asks for with
    ``@pytest.mark.parametrize("timezone_id", ["Europe/Paris"], indirect=True)``."""
    return getattr(request, "param", None)


@pytest.fixture
def page(browser, live_server, tenant, color_scheme, viewport, timezone_id):
    context = browser.new_context(base_url=live_server.url, color_scheme=color_scheme, viewport=viewport,
                                  timezone_id=timezone_id)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    # Let background requests (the member count's refresh after a change) finish before the
    # test's database goes away under the live server.
    page.wait_for_load_state("networkidle")
    context.close()


def sign_in_as(page: Page, upn: str, start: str = "/") -> None:
    """Through the app's redirect to the sandbox's sign-in page, pick the account, come back."""
    page.goto(start)
    expect(page.get_by_role("heading", name="Pick an account")).to_be_visible()
    page.locator(f'input[name="upn"][value="{upn}"]').check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    wait_until_ready(page)


def wait_until_ready(page: Page) -> None:
    """After a navigation: htmx is a deferred script, so a page can be visible before htmx has
    processed it; an input typed in that instant would go unheard. desk.js marks <html> with
    ``data-desk-ready`` once htmx has processed the page: wait for that attribute. (Not a
    JavaScript predicate: Playwright polls one by evaluating a string, which the page's CSP
    refuses as soon as the predicate is not true at once.)"""
    expect(page.locator("html[data-desk-ready]")).to_be_attached()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
