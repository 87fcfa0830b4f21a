"""The built book in a real browser: every page loads cleanly, shows its figures, describes its images,
links only to things that exist, passes axe-core's serious and critical accessibility rules and is no wider than
a phone's screen.

The session's one clean build of the book (`built_book`, tests/conftest.py) is served on 127.0.0.1 and
opened in Debian's headless Chromium (through Playwright) at a desktop and a phone width. Each page is
visited once per width; the tests below read what that visit recorded, so a failure names the page,
the element and the rule. A screenshot of every page at both widths (its first 12,000 pixels) is saved under
book/_build/screenshots/{desktop,phone}/ for review.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from browser.support import (
    AXE, VIEWPORTS, chromium, fresh_screenshot_dir, local_only, require_chromium, serve, toc_pages,
)

pytestmark = pytest.mark.build

# Every page of the table of contents, plus the pages Sphinx adds.
PAGES = [*toc_pages(), "genindex", "search"]
BLOCKING_IMPACTS = ("serious", "critical")
GENERIC_ALT = {
    "image", "img", "figure", "fig", "chart", "graph", "plot", "picture", "photo", "diagram", "map", "icon",
    "logo", "untitled", "alt", "png", "svg", "jpg", "jpeg", "gif", "screenshot", "output",
}

# Runs in the page once it has loaded: load every image (lazy ones too) and describe images and links.
COLLECT = """
async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  await document.fonts.ready;
  const hidden = el => !!el.closest('[aria-hidden="true"]');
  return {
    images: images.map(img => ({
      src: img.getAttribute('src'), url: img.currentSrc || img.src, complete: img.complete,
      width: img.naturalWidth, height: img.naturalHeight, alt: img.getAttribute('alt'),
      decorative: hidden(img) || ['presentation', 'none'].includes(img.getAttribute('role') || ''),
      html: img.outerHTML.slice(0, 200),
    })),
    links: [...document.querySelectorAll('a[href]')].map(a => ({
      href: a.getAttribute('href'), url: a.href, text: (a.textContent || '').trim().slice(0, 60),
    })),
    ids: [...document.querySelectorAll('[id]')].map(el => el.id)
      .concat([...document.querySelectorAll('a[name]')].map(a => a.getAttribute('name'))),
  };
}
"""

# Runs in the page once it has loaded: how wide the page is against the screen, and the element that sticks out
# furthest to the right (leaving out the theme's off-canvas drawers, which are fixed in place beside the screen,
# and whatever a box that fits the screen clips or scrolls). Of nested elements that stick out equally far, the
# outermost is named (a table rather than its last cell).
WIDTH = """
() => {
  const screen = document.documentElement.clientWidth;
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.position === 'fixed') return true;
      if (style.overflowX !== 'visible' && a.getBoundingClientRect().right <= screen + 0.5) return true;
    }
    return false;
  };
  let widest = null, right = screen + 0.5;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= right) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.position === 'fixed' || clipped(el)) continue;
    widest = el;
    right = box.right;
  }
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    [...el.classList].slice(0, 3).map(c => '.' + c).join('');
  return {
    page: document.documentElement.scrollWidth, screen: screen,
    widest: widest ? describe(widest) : '', right: Math.round(right),
    text: widest ? (widest.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 80) : '',
  };
}
"""

SHOT_HEIGHT = 12_000  # pixels

AXE_RUN = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160)})),
    count: v.nodes.length,
  }));
}
"""


@dataclass
class Visit:
    """What one page showed at one width."""

    errors: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    violations: list[dict[str, Any]] = field(default_factory=list)
    width: dict[str, Any] = field(default_factory=dict)
    screenshot: Path | None = None


class Site:
    """The served book, a browser, and each page's visits (made once, on first use)."""

    def __init__(self, base: str, html: Path, browser: Any, shots: Path) -> None:
        self.base, self.html, self.browser, self.shots = base, html, browser, shots
        self.blocked: list[str] = []
        self.contexts = {}
        for name, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, is_mobile=name == "phone", device_scale_factor=1)
            local_only(context, base, self.blocked)
            context.add_init_script(path=str(AXE))  # axe-core in every page, before the page's own scripts
            self.contexts[name] = context
        self.visits: dict[tuple[str, str], Visit] = {}
        self._status: dict[str, int] = {}
        self._ids: dict[str, set[str]] = {}

    def visit(self, page: str, width: str = "desktop") -> Visit:
        key = (page, width)
        if key not in self.visits:
            self.visits[key] = self._visit(page, width)
        return self.visits[key]

    def _visit(self, page: str, width: str) -> Visit:
        visit = Visit()
        tab = self.contexts[width].new_page()

        def on_console(message: Any) -> None:
            where = (message.location or {}).get("url", "")
            # Requests to other hosts are refused here on purpose (no network): their failures are not the page's.
            if message.type == "error" and (not where or where.startswith(self.base)):
                visit.errors.append(f"console.error: {message.text} ({where or 'inline'})")

        def on_response(response: Any) -> None:
            if response.url.startswith(self.base) and response.status >= 400:
                visit.errors.append(f"HTTP {response.status} for {response.url}")

        tab.on("console", on_console)
        tab.on("pageerror", lambda error: visit.errors.append(f"uncaught exception: {error}"))
        tab.on("response", on_response)
        try:
            tab.goto(self.base + page + ".html", wait_until="load")
            collected = tab.evaluate(COLLECT)
            visit.images, visit.links, visit.ids = collected["images"], collected["links"], set(collected["ids"])
            visit.violations = tab.evaluate(AXE_RUN)
            visit.width = tab.evaluate(WIDTH)
            shot = self.shots / width / (page.replace("/", "__") + ".png")
            # Chromium cannot capture a page as tall as the bibliography on a phone in one image (and the failure
            # takes the browser down): the screenshot keeps the page's first SHOT_HEIGHT pixels.
            height = min(tab.evaluate("document.documentElement.scrollHeight"), SHOT_HEIGHT)
            clip = {"x": 0, "y": 0, "width": VIEWPORTS[width]["width"], "height": height}
            tab.screenshot(path=str(shot), full_page=True, clip=clip, timeout=120_000)
            visit.screenshot = shot
        finally:
            tab.close()
        return visit

    def status(self, url: str) -> int:
        """HTTP status of a local URL (no fragment)."""
        if url not in self._status:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    self._status[url] = response.status
            except urllib.error.HTTPError as error:
                self._status[url] = error.code
        return self._status[url]

    def ids(self, url: str) -> set[str]:
        """The ids (and named anchors) in the HTML at a local URL."""
        if url not in self._ids:
            with urllib.request.urlopen(url, timeout=10) as response:
                text = response.read().decode("utf-8", errors="replace")
            found = re.findall(r"""\s(?:id|name)\s*=\s*["']([^"']+)["']""", text)
            self._ids[url] = {urllib.parse.unquote(value) for value in found}
        return self._ids[url]


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    require_chromium()  # before the build: skip early on a machine without Chromium
    html = request.getfixturevalue("built_book") / "_build" / "html"  # the session's one build (conftest.py)
    shots = fresh_screenshot_dir()
    with serve(html) as base, chromium() as browser:
        site = Site(base, html, browser, shots)
        yield site
    print(f"\nscreenshots: {shots}/desktop and {shots}/phone")
    hosts = sorted({urllib.parse.urlparse(url).netloc for url in site.blocked})
    if hosts:  # reported, not enforced: a reader online would reach them
        print(f"pages asked other hosts, blocked here: {', '.join(hosts)}")


def describe(violation: dict[str, Any]) -> str:
    nodes = "; ".join(f"{node['target']} {node['html']}" for node in violation["nodes"])
    return (f"axe {violation['impact']} '{violation['id']}' ({violation['help']}) "
            f"on {violation['count']} element(s): {nodes}")


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_console_errors(site: Site, page: str) -> None:
    for width in VIEWPORTS:
        errors = site.visit(page, width).errors
        assert not errors, f"{page}.html at {width} width:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize("page", PAGES)
def test_every_figure_loads(site: Site, page: str) -> None:
    broken = [f"{image['src']} (complete={image['complete']}, natural size {image['width']}x{image['height']})"
              for image in site.visit(page).images
              if not (image["complete"] and image["width"] > 0 and image["height"] > 0)]
    assert not broken, f"{page}.html: images that do not load:\n  " + "\n  ".join(broken)


def alt_problem(image: dict[str, Any]) -> str | None:
    """Why an image's alt text is not meaningful, or None."""
    alt = (image["alt"] or "").strip()
    if image["alt"] is None:
        return "no alt attribute"
    if not alt:
        return "empty alt"
    name = Path(urllib.parse.urlparse(image["src"] or "").path).name
    words = re.findall(r"\w+", alt.lower())
    if alt == name or alt == Path(name).stem or re.search(r"\.(png|jpe?g|svg|gif|webp)$", alt, re.I):
        return f"alt is a file name: {alt!r}"
    if not words or all(word in GENERIC_ALT or word.isdigit() for word in words):
        return f"alt is generic: {alt!r}"
    if len(words) < 2:
        return f"alt is a single word: {alt!r}"
    return None


@pytest.mark.parametrize("page", PAGES)
def test_every_image_has_meaningful_alt_text(site: Site, page: str) -> None:
    problems = [f"{problem}: {image['html']}" for image in site.visit(page).images
                if not image["decorative"] and (problem := alt_problem(image))]
    assert not problems, f"{page}.html:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_every_internal_link_resolves(site: Site, page: str) -> None:
    visit = site.visit(page)
    here = site.base + page + ".html"
    broken = []
    for link in visit.links:
        url = link["url"]
        if not url.startswith(site.base) or link["href"] in ("#", ""):
            continue  # other sites (not reachable here) and the theme's '#' toggles
        target, _, fragment = url.partition("#")
        fragment = urllib.parse.unquote(fragment)
        status = site.status(target)
        if status != 200:
            broken.append(f"{link['href']!r} ({link['text']!r}): HTTP {status}")
        elif fragment:
            ids = visit.ids if target == here else site.ids(target) if target.endswith(".html") else None
            if ids is not None and fragment not in ids:
                broken.append(f"{link['href']!r} ({link['text']!r}): no element with id {fragment!r} in {target}")
    assert not broken, f"{page}.html: internal links that do not resolve:\n  " + "\n  ".join(broken)


@pytest.mark.parametrize("page", PAGES)
def test_no_serious_or_critical_accessibility_violation(site: Site, page: str) -> None:
    found = []
    for width in VIEWPORTS:
        found += [f"[{width}] {describe(v)}" for v in site.visit(page, width).violations
                  if v["impact"] in BLOCKING_IMPACTS]
    assert not found, f"{page}.html:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("page", PAGES)
def test_no_page_is_wider_than_a_phone_screen(site: Site, page: str) -> None:
    """At 390 px a wide table scrolls inside its own box; the page itself never scrolls sideways."""
    width = site.visit(page, "phone").width
    assert width["page"] <= width["screen"], (
        f"{page}.html is {width['page']} px wide on a {width['screen']} px phone screen; the element that sticks "
        f"out furthest (to {width['right']} px) is {width['widest'] or 'unknown'}: {width['text']!r}")


@pytest.mark.parametrize("page", PAGES)
def test_screenshots_at_desktop_and_phone_width(site: Site, page: str) -> None:
    for width in VIEWPORTS:
        shot = site.visit(page, width).screenshot
        assert shot is not None and shot.is_file() and shot.stat().st_size > 1000, f"{page}: no {width} screenshot"


def test_index_redirects_to_the_first_page(site: Site) -> None:
    tab = site.contexts["desktop"].new_page()
    try:
        tab.goto(site.base + "index.html")
        tab.wait_for_url(re.compile(re.escape(site.base + PAGES[0] + ".html")), timeout=10_000)
    finally:
        tab.close()

