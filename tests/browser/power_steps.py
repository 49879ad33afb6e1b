"""Steps issue 10's browser tests share. They wait with ``expect`` and load states only: never
``wait_for_function`` with a string, which the page's CSP (no eval) can break while Playwright polls."""

from playwright.sync_api import Page

from tests.browser.conftest import sign_in_as


def sign_in(page: Page, upn: str, start: str = "/") -> None:
    """Through the sandbox's sign-in page and back, the landing page processed by htmx."""
    sign_in_as(page, upn, start)


def open_page(page: Page, path: str) -> None:
    """Go to a page of the app; ``goto`` returns after its load event, so htmx is ready."""
    page.goto(path, wait_until="load")
