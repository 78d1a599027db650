"""The site's pages point only at things that exist: images, snippet files and their
marked sections, other pages and their headings. (`mkdocs build --strict` checks
links too; this runs with the unit tests, without installing mkdocs.)"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parent
ROOT = DOCS.parent
PAGES = sorted(DOCS.glob("*.md"))


def slug(heading):
    """The anchor mkdocs' toc extension gives a heading (or its explicit {#id})."""
    explicit = re.search(r"\{#([\w-]+)\}", heading)
    if explicit:
        return explicit.group(1)
    text = re.sub(r"[^\w\s-]", "", heading.lower()).strip()
    return re.sub(r"[\s]+", "-", text)


def anchors(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, flags=re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_images_exist(page):
    for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", page.read_text()):
        assert (DOCS / target).is_file(), f"{page.name}: image {target} does not exist"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_snippets_exist_with_their_sections(page):
    for target in re.findall(r'^\s*--8<-- "([^"]+)"', page.read_text(), flags=re.M):
        path, _, section = target.partition(":")
        assert (ROOT / path).is_file(), f"{page.name}: snippet file {path} does not exist"
        if section:
            source = (ROOT / path).read_text()
            for mark in ("start", "end"):
                assert f"--8<-- [{mark}:{section}]" in source, f"{page.name}: {path} has no [{mark}:{section}] marker"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_internal_links_resolve(page):
    for target in re.findall(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)", page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        file, _, anchor = target.partition("#")
        dest = DOCS / file if file else page
        assert dest.is_file(), f"{page.name}: link to missing {file}"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{page.name}: {dest.name} has no heading #{anchor}"


def test_every_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in PAGES:
        assert page.name in nav, f"{page.name} is not in mkdocs.yml's nav"
