"""The dashboard in headless Chromium, served over real HTTP, on the example flights and roadmap."""

from __future__ import annotations

import os
import re
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
    "untested": "/features/pvh",
    "search": "/search?q=guest",
    "failures": "/failures/",
    "regressions": "/regressions/",
}
CHARTS = {"overview": 1, "feature": 2, "branch": 4}
WIDTHS = (1400, 800, 360)  # a desktop, a narrow window and a phone: no page may overflow them
HEIGHT = 900
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
    context = browser.new_context(viewport={"width": max(WIDTHS), "height": HEIGHT})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    yield page
    page.close()


@dataclass
class Visit:
    """One page of PAGES, loaded: its status, what went wrong, every URL it requested, and how
    far its body overflowed a narrow window."""

    page: Page
    status: int | None = None
    problems: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    overflow: int = 0


def open_page(context: BrowserContext, url: str, shot: str) -> Visit:
    """Load a page, wait for its charts, and screenshot it at each of WIDTHS (as `shot`)."""
    seen = Visit(context.new_page())

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.problems.append(f"console: {message.text} ({message.location['url']})")

    seen.page.on("console", on_console)
    seen.page.on("pageerror", lambda error: seen.problems.append(f"page error: {error}"))
    seen.page.on("requestfailed", lambda r: seen.problems.append(f"failed: {r.url} {r.failure}"))
    seen.page.on("request", lambda request: seen.requested.append(request.url))
    response = seen.page.goto(url)
    seen.status = response.status if response else None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        seen.page.set_viewport_size({"width": width, "height": HEIGHT})
        for chart in seen.page.locator(".chart").all():
            chart.locator("svg.main-svg").first.wait_for()
        seen.page.wait_for_timeout(300)  # plotly's charts follow the window's width
        if width == min(WIDTHS):
            seen.overflow = seen.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
        seen.page.screenshot(path=SCREENSHOTS / f"{shot}-{width}.png", full_page=True)
    return seen


@pytest.fixture(scope="module")
def visit(context: BrowserContext, origin: str) -> Callable[[str], Visit]:
    """Return a loader that opens each of PAGES once per module and screenshots it."""
    visits: dict[str, Visit] = {}

    def load(name: str) -> Visit:
        if name not in visits:
            visits[name] = open_page(context, origin + PAGES[name], name)
        return visits[name]

    return load


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_cleanly_from_the_app_alone(visit, origin, name):
    seen = visit(name)
    assert seen.status == 200
    assert seen.problems == []
    assert seen.requested
    assert [url for url in seen.requested if not url.startswith(origin + "/")] == []


@pytest.mark.parametrize("name", PAGES)
def test_no_page_overflows_a_narrow_window(visit, name):
    assert visit(name).overflow <= 0  # wide tables scroll inside their own box


def test_a_wide_table_scrolls_in_its_box_with_its_first_column_pinned(context, origin):
    page = context.new_page()
    page.set_viewport_size({"width": min(WIDTHS), "height": HEIGHT})
    page.goto(origin + PAGES["flight"])
    moved = page.evaluate(
        """() => {
        const box = [...document.querySelectorAll('.scroll')]
            .find(b => b.scrollWidth > b.clientWidth && b.querySelector('tbody td'));
        if (!box) return null;
        const first = box.querySelector('tbody tr > :first-child');
        const last = box.querySelector('tbody tr > :last-child');
        const before = first.getBoundingClientRect().left;
        box.scrollLeft = box.scrollWidth;
        const right = last.getBoundingClientRect().right;
        return {scrolled: box.scrollLeft, pinned: first.getBoundingClientRect().left - before,
                reached: right <= box.getBoundingClientRect().right + 1};
    }"""
    )
    assert moved is not None, "no table of the flight page is wider than a phone"
    assert moved["scrolled"] > 0 and moved["reached"]  # its last column can be reached
    assert abs(moved["pinned"]) < 1  # and its first stays where it was
    page.close()


@pytest.mark.parametrize(("name", "count"), CHARTS.items())
def test_plotly_draws_every_chart(visit, name, count):
    charts = visit(name).page.locator(".chart")
    assert charts.count() == count
    for chart in charts.all():
        chart.locator("svg.main-svg").first.wait_for()


def test_a_click_path_from_the_overview_down_to_a_test(page, origin):
    page.goto(origin + "/")

    page.click("#features a[href='/features/qemu-upstream-default?release=4.3']")
    page.wait_for_url(origin + "/features/qemu-upstream-default?release=4.3")
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


def test_the_charts_say_in_words_what_they_show_without_javascript(browser, origin):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(origin + PAGES["branch"])
    captions = page.locator("figcaption.chart-text")
    texts = captions.all_inner_texts()
    blank = page.locator(".chart").evaluate_all("all => all.filter(c => c.offsetHeight > 0).length")
    context.close()
    assert len(texts) == 4
    assert all("feature freeze 2013-03-25" in text for text in texts)
    assert blank == 0  # no empty box where a chart would be


def test_the_keyboard_searches_and_walks_the_rows(page, origin):
    page.goto(origin + "/?as_of=2013-03-06T12:00")  # when flight 17003 blocked the push
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-q"
    page.keyboard.type("jk")  # typed into the box, not moving rows
    assert page.locator("#search-q").input_value() == "jk"
    assert page.locator(".current").count() == 0
    page.locator("#search-q").fill("")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("j")
    assert page.locator("ul.blockers > li").first.get_attribute("class") == "current"
    current = page.locator("#features tbody tr.current")
    for _ in range(page.locator("ul.blockers > li").count()):
        page.keyboard.press("j")  # past the blocking list, into the features table
        if current.count():
            break
    assert current.count() == 1
    page.keyboard.press("k")
    page.keyboard.press("j")
    href = current.locator("a").first.get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url(origin + href)


def test_t_on_a_failure_of_a_flight_opens_its_clusters_form_for_its_step(page, origin):
    """A failure's row on a flight's page triages with `t`: its cluster's page, the form
    proposed for its job and testid."""
    page.goto(origin + PAGES["flight"])
    page.keyboard.press("j")
    row = page.locator("tr.current")
    assert row.count() == 1
    wanted = row.get_attribute("data-triage")
    assert wanted and wanted.startswith("/failures/")
    page.keyboard.press("t")
    page.wait_for_url(origin + wanted)
    assert page.locator("h1").inner_text() == "Failure cluster"
    assert "job=" in page.url and "testid=" in page.url
    # Without a secret key the form is off: `t` on an occurrence stays on the page.
    page.keyboard.press("j")
    page.keyboard.press("t")
    assert page.url.startswith(origin + "/failures/")


def test_the_search_box_finds_from_any_page(page, origin):
    page.goto(origin + PAGES["branch"])
    page.keyboard.press("/")
    page.keyboard.type("17003")
    page.keyboard.press("Enter")
    page.wait_for_url(origin + "/flights/17003")
    page.keyboard.press("/")
    page.keyboard.type("qemu-upstream")
    page.keyboard.press("Enter")
    page.wait_for_url(origin + "/search?q=qemu-upstream")
    page.click("ul.hits a[href='/features/qemu-upstream-default?release=4.3']")
    page.wait_for_url(origin + "/features/qemu-upstream-default?release=4.3")


# The demo, as of a week before the feature freeze: what a user of `pushgate demo` sees.

AS_OF = "2013-03-18"
NEWEST = 16631  # the demo's newest flight by then
DEMO_PAGES = {
    "overview": "/",
    "feature": "/features/qemu-upstream-default",
    "untested": "/features/pvh",
    "flights": "/flights",
    "flight": "/flights/16631",
    "test": "/tests/test-amd64-i386-xl-multivcpu/guest-localmigrate/x10",
    "branch": "/branches/xen-unstable",
    "search": "/search?q=localmigrate",
    "failures": "/failures/",
    "regressions": "/regressions/",
}
DEMO_CHARTS = {"overview": 1, "feature": 2, "untested": 1, "branch": 4}
MILESTONES = {"2013-03-25", "2013-04-15", "2013-06-15"}  # the release's dates lie ahead
DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)\b")
STREAK = re.compile(
    r"^(?:(\S+) (\S+) regressed|(\S+) regressed .* in \d+ jobs: ([^;]+)).*; not passing since (\d+), (\d+) flights"
)


@pytest.fixture(scope="module")
def demo_origin(demo_db: str) -> Iterator[str]:
    """Serve the demo's database, on the clock: every page is asked for as of 2013-03-18."""
    app = create_app({"DATABASE_URL": demo_db})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def as_of(url: str) -> str:
    return url + ("&" if "?" in url else "?") + f"as_of={AS_OF}"


@pytest.fixture(scope="module")
def demo_visit(context: BrowserContext, demo_origin: str) -> Callable[[str], Visit]:
    visits: dict[str, Visit] = {}

    def load(name: str) -> Visit:
        if name not in visits:
            visits[name] = open_page(context, demo_origin + as_of(DEMO_PAGES[name]), f"demo-{name}")
        return visits[name]

    return load


@pytest.mark.parametrize("name", DEMO_PAGES)
def test_the_demo_as_of_a_day_shows_nothing_after_it(demo_visit, demo_origin, name):
    seen = demo_visit(name)
    assert seen.status == 200
    assert seen.problems == []
    assert seen.overflow <= 0
    page = seen.page
    shown = set(DATE.findall(page.inner_text("body")))
    assert {day for day in shown - MILESTONES if day > AS_OF} == set()
    numbers = {
        int(n)
        for href in page.locator("a[href]").evaluate_all("all => all.map(a => a.href)")
        for n in re.findall(r"/flights/(\d+)", href)
    }
    assert max(numbers, default=0) <= NEWEST
    for link in page.locator("main a[href^='/']").evaluate_all(
        "all => all.map(a => a.getAttribute('href'))"
    ):
        assert f"as_of={AS_OF}" in link, link
    figures = page.locator(".chart[data-figure]").evaluate_all(
        "all => all.map(c => JSON.parse(c.dataset.figure))"
    )
    assert len(figures) == DEMO_CHARTS.get(name, 0)
    for figure in figures:
        days = {x[:10] for trace in figure["data"] for x in trace["x"]}
        assert days and max(days) <= AS_OF
        notes = " ".join(a.get("text", "") for a in figure["layout"]["annotations"])
        for milestone in ("feature freeze", "code freeze 2013-04-15", "release 2013-06-15"):
            assert milestone in notes
        low, high = figure["layout"]["yaxis"].get("range", [0, 0])
        if figure["layout"]["yaxis"].get("tickformat", "").endswith("%"):
            assert 0.5 < low < 0.9 < 1 <= high  # zoomed to the data, the threshold in sight


def test_the_demos_feed_as_of_a_day_has_nothing_after_it(demo_origin):
    import requests

    feed = requests.get(demo_origin + as_of("/feed.atom"), timeout=30).text
    published = re.findall(r"<published>(\d{4}-\d\d-\d\d)", feed)
    assert published and max(published) <= AS_OF
    assert max(int(n) for n in re.findall(r"/flights/(\d+)", feed)) == NEWEST


def test_the_demos_blocking_steps_fail_since_what_the_overview_says(context, demo_origin):
    page = context.new_page()
    page.goto(demo_origin + as_of("/"))
    reasons = page.locator("ul.blockers ul.reasons li").all_inner_texts()
    checked = 0
    for reason in reasons:
        if "not passing since" not in reason:
            continue
        found = STREAK.search(reason)
        assert found, reason
        single_job, single_testid, testid, jobs, since, runs = found.groups()
        steps = (
            [(single_job, single_testid)] if single_job else [(j, testid) for j in jobs.split(", ")]
        )
        for job, test in steps:
            page.goto(demo_origin + as_of(f"/tests?job={job}&testid={test}"))
            panel = page.locator(".panel", has_text="Current failing streak").inner_text()
            assert f"since {since}" in panel and f"{runs} flights" in panel, (job, test, panel)
            checked += 1
    page.close()
    assert checked >= 18  # every blocking step of flight 16631


def test_the_other_tables_sort_the_rows_shown_by_a_heading(page, origin):
    page.goto(origin + "/flights")
    flights = page.locator("table[data-sortable] tbody tr td:first-child")
    shown = [int(n) for n in flights.all_inner_texts()]
    assert shown == sorted(shown, reverse=True)  # newest first, as served
    heading = page.locator("table[data-sortable] thead th").first
    heading.click()  # the most first
    assert [int(n) for n in flights.all_inner_texts()] == sorted(shown, reverse=True)
    heading.click()
    assert [int(n) for n in flights.all_inner_texts()] == sorted(shown)
    assert heading.get_attribute("aria-sort") == "ascending"
    blocking = page.locator("table[data-sortable] thead th", has_text="Blocking")
    blocking.focus()
    page.keyboard.press("Enter")  # the keyboard sorts too
    counts = [
        int(n)
        for n in page.locator("table[data-sortable] tbody tr td:last-child").all_inner_texts()
    ]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
