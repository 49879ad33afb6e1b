"""What the phone and accessibility tests share: a browser context as a person's, and signing in
with waits on the page itself (no string predicates, which the page's CSP may refuse to poll)."""

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in_as

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def person_page(browser: Browser, base_url: str, *, viewport: dict, color_scheme: str = "light") -> Page:
    """A fresh context; reduced motion, so no fading indicator is measured halfway."""
    context = browser.new_context(base_url=base_url, viewport=viewport, color_scheme=color_scheme,
                                  reduced_motion="reduce")
    context.set_default_timeout(15_000)
    return context.new_page()


def close(page: Page) -> None:
    page.wait_for_load_state("networkidle")  # background requests finish before the test's database goes
    page.context.close()


def sign_in(page: Page, upn: str, start: str = "/") -> None:
    """Through the sandbox's sign-in page and back, the landing page processed by htmx."""
    sign_in_as(page, upn, start)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.wait_for_load_state("load")


def visit(page: Page, path: str) -> None:
    page.goto(path)  # returns after the load event
    expect(page.locator("main h1")).to_be_visible()
