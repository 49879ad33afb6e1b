"""Steps issue 10's browser tests share. They wait with ``expect`` and load states only: never
``wait_for_function`` with a string, which the page's CSP (no eval) can break while Playwright polls."""

from playwright.sync_api import Page, expect


def sign_in(page: Page, upn: str, start: str = "/") -> None:
    """Through the app's redirect to the sandbox's sign-in page, pick the account, come back loaded
    (the "load" event follows htmx's deferred script)."""
    page.goto(start)
    expect(page.get_by_role("heading", name="Pick an account")).to_be_visible()
    page.locator(f'input[name="upn"][value="{upn}"]').check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.wait_for_load_state("load")


def open_page(page: Page, path: str) -> None:
    """Go to a page of the app; ``goto`` returns after its load event, so htmx is ready."""
    page.goto(path, wait_until="load")
