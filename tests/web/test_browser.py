"""The dashboard in headless Chromium, served over real HTTP, on the example flights and roadmap."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from werkzeug.serving import make_server

from tests.conftest import need
from tests.web import test_pages
from web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = test_pages.ROOT / "tests" / "artifacts" / "screenshots"
PAGES = {
    "overview": "/",
    "feature": "/features/qemu-upstream-default",
    "flights": "/flights",
    "flight": "/flights/17003",
    "test": "/tests/test-amd64-amd64-pair/guest-migrate/src_host/dst_host",
    "branch": "/branches/xen-unstable",
}
CHARTS = {"feature": 1, "branch": 4}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="module")
def origin(example_db: str) -> Iterator[str]:
    """Serve the app on a free port of 127.0.0.1 and yield its origin."""
    app = create_app({"DATABASE_URL": example_db, "NOW": test_pages.NOW})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch headless Chromium: PUSHGATE_CHROMIUM, or the `chromium` on PATH."""
    wanted = os.environ.get("PUSHGATE_CHROMIUM", "chromium")
    executable = shutil.which(wanted)
    if executable is None:
        need(f"no Chromium found as {wanted!r}: install Debian's chromium or set PUSHGATE_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("Playwright for Python is missing: pip install -e '.[test]'")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def context(browser: Browser) -> Iterator[BrowserContext]:
    # One context for the module: its cache spares each page a new download of plotly.js.
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    yield page
    page.close()


@dataclass
class Visit:
    """One page of PAGES, loaded: its status, what went wrong and every URL it requested."""

    page: Page
    status: int | None = None
    problems: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def visit(context: BrowserContext, origin: str) -> Callable[[str], Visit]:
    """Return a loader that opens each of PAGES once per module and screenshots it."""
    visits: dict[str, Visit] = {}

    def load(name: str) -> Visit:
        if name in visits:
            return visits[name]
        seen = visits[name] = Visit(context.new_page())

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                seen.problems.append(f"console: {message.text} ({message.location['url']})")

        seen.page.on("console", on_console)
        seen.page.on("pageerror", lambda error: seen.problems.append(f"page error: {error}"))
        seen.page.on(
            "requestfailed", lambda r: seen.problems.append(f"failed: {r.url} {r.failure}")
        )
        seen.page.on("request", lambda request: seen.requested.append(request.url))
        response = seen.page.goto(origin + PAGES[name])
        seen.status = response.status if response else None
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        seen.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        return seen

    return load


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_cleanly_from_the_app_alone(visit, origin, name):
    seen = visit(name)
    assert seen.status == 200
    assert seen.problems == []
    assert seen.requested
    assert [url for url in seen.requested if not url.startswith(origin + "/")] == []


@pytest.mark.parametrize(("name", "count"), CHARTS.items())
def test_plotly_draws_every_chart(visit, name, count):
    charts = visit(name).page.locator(".chart")
    assert charts.count() == count
    for chart in charts.all():
        chart.locator("svg.main-svg").first.wait_for()


def test_a_click_path_from_the_overview_down_to_a_test(page, origin):
    page.goto(origin + "/")

    page.click("#features a[href='/features/qemu-upstream-default']")
    page.wait_for_url(origin + "/features/qemu-upstream-default")
    assert page.locator("h1").inner_text() == "qemu-upstream as the default device model on track"

    page.click(".grid thead a[href='/flights/17003']")
    page.wait_for_url(origin + "/flights/17003")
    assert page.locator("h1").inner_text() == "Flight 17003 regressions"

    test = "/tests/test-amd64-amd64-xl-qemuu-win7-amd64/guest-localmigrate.2"
    page.click(f"table:not(.grid) a[href='{test}']")
    page.wait_for_url(origin + test)
    assert page.locator("h1").inner_text() == (
        "test-amd64-amd64-xl-qemuu-win7-amd64 guest-localmigrate.2"
    )


def test_the_features_table_filters_without_javascript(browser, origin):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(origin + "/?readiness=on_track")
    labels = page.locator("#features tbody .readiness").all_inner_texts()
    context.close()
    assert labels
    assert set(labels) == {"on track"}


def test_the_charts_work_under_the_content_security_policy(page, origin):
    response = page.goto(origin + PAGES["branch"])
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
    page.locator(".chart svg.main-svg").first.wait_for()
    # The modebar's "download as png" draws the chart as an image first: img-src must allow it.
    png = page.evaluate(
        "Plotly.toImage(document.querySelector('.chart'), {format: 'png'})"
        ".then(url => url.slice(0, 22), error => String(error))"
    )
    assert png == "data:image/png;base64,"
    assert violations == []
