"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's Python package.

Playwright never downloads a browser here: it is pointed at the system one, with a fresh profile per
test and the launch flags that keep Chromium off the network (no component updates, no sync, no QUIC).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RELAY_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_context(tmp_path, request):
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing and CI=true (scripts/system-packages.d/chromium.sh installs it)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    # `expect(...)` keeps its own 5 s default: on a loaded 2-core machine a preview can take longer.
    expect.set_options(timeout=30_000)

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900}, locale="en-US",
            # The tests' own waits are string predicates Playwright evaluates in the page, which the
            # console's CSP (script-src 'self') refuses; `csp_enforced` gets a context that keeps it.
            bypass_csp=not request.node.get_closest_marker("csp_enforced"),
        )
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()


def sign_in(page, live, who: str = "coordinator") -> None:
    """Sign in to the console with `who`'s token, typed and sent with Enter (the keyboard-only way)."""
    page.goto(f"{live.url}/console/")
    page.get_by_label("API token").fill(live.tokens[who])
    page.get_by_label("API token").press("Enter")
    page.get_by_role("heading", name="Compose a broadcast").wait_for()


def signed_in_page(browser_context, live, who: str = "coordinator"):
    """A new page signed in as `who`, and the list its uncaught script errors go to (a test ends by
    asserting that list empty)."""
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live, who)
    return page, errors


def wait_until_delivered(page) -> None:
    """On the delivery page the console opens after a send, until it says the broadcast is finished."""
    page.wait_for_url(re.compile(r"#delivery/\d+$"))
    page.wait_for_function("document.querySelector('#delivery-state').textContent.includes('finished')",
                           timeout=60_000)


def send_now(page) -> None:
    """Send what is composed (through the confirmation step) and wait until it is delivered."""
    page.get_by_role("button", name="Send…").click()
    page.get_by_role("button", name="Send now").click()
    wait_until_delivered(page)
