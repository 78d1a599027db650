"""The built site in a real browser (Debian's chromium via Playwright; run by `nox -s browser`).

Every page is built with mkdocs, served locally and opened at a laptop's width (1280 px)
and a phone's (390 px). At 1280 px no code block and no display equation may be wider
than its column: a reader should never have to scroll sideways to read quoted code or
the end of an equation. At both widths the page itself must not scroll sideways, every
image must load, and the page must ask nothing of any other host (fonts included:
the site works offline).
"""

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).parent.parent
PAGES = [p.stem for p in sorted((ROOT / "docs").glob("*.md"))]

OVERFLOWS = """() => {
  const wide = [];
  for (const el of document.querySelectorAll('.md-content pre > code, .md-content .arithmatex')) {
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
        assert tab.evaluate(OVERFLOWS) == [], f"{page}: these scroll sideways at 1280 px"
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
        assert elsewhere == [], f"{page} asked other hosts for {elsewhere}"
    finally:
        context.close()
