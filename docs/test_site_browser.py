"""The built site in a real browser (Debian's chromium via Playwright; run by `nox -s browser`).

Every page is built with mkdocs, served locally and opened at a laptop's width (1280 px)
and a phone's (390 px). At 1280 px no code block and no display equation may be wider
than its column: a reader should never have to scroll sideways to read quoted code or
the end of an equation. At 390 px no display equation may be either (long ones are
written on several lines), and the home page's network figure keeps a readable size,
scrolling inside its own box. At both widths the page itself must not scroll sideways,
every image must load, and the page must ask nothing of any other host (fonts included:
the site works offline). The course's shape is checked too: stage 7's page stays under
9,000 px at 1280 px, every stage page has at least two figures and three exercises, and
the search index knows "receptive field".
"""

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
CODE_AND_MATH = ".md-content pre > code, .md-content .arithmatex"
DISPLAY_MATH = ".md-content div.arithmatex"
ROOT = Path(__file__).parent.parent
PAGES = [p.stem for p in sorted((ROOT / "docs").glob("*.md"))]
STAGES = [p for p in PAGES if p.startswith("stage")]
STAGE7_MAX_HEIGHT = 9000  # px at 1280 px: the stage 7 page reads as one line, not a manual

# how the network figure is drawn on a phone: its scale (displayed / natural width) and its box's overflow
NETWORK_FIGURE = """() => {
  const img = document.getElementById('network-figure');
  const box = img.closest('.wide-figure');
  return [img.getBoundingClientRect().width / img.naturalWidth, box ? getComputedStyle(box).overflowX : 'none'];
}"""

# figures and exercises of a page: images inside <figure>, top-level items of the list under "Exercises"
COUNTS = """() => {
  const figures = document.querySelectorAll('.md-content figure img').length;
  const heading = document.getElementById('exercises');
  let list = heading ? heading.nextElementSibling : null;
  while (list && list.tagName !== 'OL' && list.tagName !== 'H2') list = list.nextElementSibling;
  const exercises = list && list.tagName === 'OL' ? list.querySelectorAll(':scope > li').length : 0;
  return [figures, exercises];
}"""

OVERFLOWS = """(selector) => {
  const wide = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.scrollWidth > el.clientWidth + 1) {
      wide.push(`${el.tagName.toLowerCase()}: ${el.scrollWidth} px in ${el.clientWidth} px: `
                + el.textContent.trim().slice(0, 70));
    }
  }
  return wide;
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built strictly into a temporary folder and served on a free local port."""
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        how = "pip install -e . --group docs (or run: nox -s browser)"
        if os.environ.get("CI"):
            pytest.fail(f"the site tests need mkdocs: {how}")
        pytest.skip(f"mkdocs is not installed: {how}")
    folder = tmp_path_factory.mktemp("site")
    build = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(folder)]
    subprocess.run(build, cwd=ROOT, check=True)
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A page closed while its requests were in flight is not an error of the site."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def url(site, page):
    return site if page == "index" else f"{site}{page}/"


def open_page(browser, site, page, width):
    """The page at this width, typeset, with the hosts it asked for (other hosts are refused)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    elsewhere = []

    def route(request):
        if request.request.url.startswith(site):
            return request.continue_()
        elsewhere.append(request.request.url)
        return request.abort()

    tab.route("**/*", route)
    tab.goto(url(site, page), wait_until="load")
    tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    tab.evaluate("() => MathJax.startup.promise")
    return context, tab, elsewhere


@pytest.mark.parametrize("page", PAGES)
def test_nothing_is_cut_off_at_laptop_width(browser, site, page):
    context, tab, elsewhere = open_page(browser, site, page, 1280)
    try:
        assert tab.evaluate(OVERFLOWS, CODE_AND_MATH) == [], f"{page}: these scroll sideways at 1280 px"
        assert elsewhere == [], f"{page} asked other hosts for {elsewhere}"
        broken = tab.evaluate("() => [...document.images].filter(i => !i.naturalWidth).map(i => i.src)")
        assert broken == [], f"{page}: images that did not load: {broken}"
    finally:
        context.close()


@pytest.mark.parametrize("page", PAGES)
def test_the_page_fits_a_phone(browser, site, page):
    context, tab, elsewhere = open_page(browser, site, page, 390)
    try:
        width = tab.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{page}: the page is {width} px wide on a 390 px phone"
        assert tab.evaluate(OVERFLOWS, DISPLAY_MATH) == [], f"{page}: these equations are cut off at 390 px"
        if page == "index":
            scale, overflow = tab.evaluate(NETWORK_FIGURE)
            assert scale >= 0.8, f"the network figure is shrunk to {scale:.0%} of its size on a phone: unreadable"
            assert overflow in ("auto", "scroll"), f"the network figure's box does not scroll ({overflow})"
        assert elsewhere == [], f"{page} asked other hosts for {elsewhere}"
    finally:
        context.close()


def test_stage_7_reads_as_one_page(browser, site):
    context, tab, _ = open_page(browser, site, "stage07", 1280)
    try:
        height = tab.evaluate("() => document.documentElement.scrollHeight")
        assert height < STAGE7_MAX_HEIGHT, f"stage07 is {height} px tall at 1280 px (at most {STAGE7_MAX_HEIGHT})"
    finally:
        context.close()


@pytest.mark.parametrize("page", STAGES)
def test_every_stage_has_figures_and_exercises(browser, site, page):
    context, tab, _ = open_page(browser, site, page, 1280)
    try:
        figures, exercises = tab.evaluate(COUNTS)
        assert figures >= 2, f"{page} has {figures} figures (at least 2)"
        assert exercises >= 3, f"{page} has {exercises} exercises (at least 3)"
    finally:
        context.close()


def test_search_finds_receptive_field(site):
    with urllib.request.urlopen(f"{site}search/search_index.json") as response:
        docs = json.load(response)["docs"]
    found = {d["location"].split("#")[0] for d in docs if "receptive field" in d["text"].lower()}
    assert "stage02/" in found, f"the search index finds 'receptive field' only in {sorted(found) or 'no page'}"
