"""A local HTTP server for a built book, a headless Chromium to open it, and a clean copy of the project.

Chromium is Debian's (`/usr/bin/chromium`, installed by `make browser-deps`), driven by Playwright for
Python with `executable_path`; axe-core comes from the npm registry (`npm ci`, pinned in
package-lock.json). Without Chromium the browser tests skip on a developer's machine and fail on CI
(where the environment variable CI is set), so a missing install can never pass CI unseen.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from conftest import missing_system_tool

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("KZ_CHROMIUM", "/usr/bin/chromium"))
# Flags for a root user on a machine whose only network is loopback (see .ci/run and the README).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("KZ_SCREENSHOTS", ROOT / "book" / "_build" / "screenshots"))
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def toc_pages(book: Path = BOOK) -> list[str]:
    """Every page of the table of contents, in reading order (no .html suffix)."""
    toc = yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            pages.append(chapter["file"])
            pages += [section["file"] for section in chapter.get("sections", []) if "file" in section]
    pages += [chapter["file"] for chapter in toc.get("chapters", [])]
    return [page.removesuffix(".md").removesuffix(".ipynb") for page in pages]


COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "_build", ".pytest_cache", "__pycache__", "*.egg-info", ".ipynb_checkpoints",
)


def copy_project(dest: Path) -> Path:
    """A copy of the working tree as a fresh clone would have it (no build output, caches or environments)."""
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE)
    return dest


def require_chromium() -> None:
    """Skip (developer machine) or fail (CI) when Chromium or axe-core is missing."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing_system_tool(f"Chromium not found at {CHROMIUM}: run `make browser-deps` (apt-get install chromium)")
    if not AXE.is_file():
        missing_system_tool(f"axe-core not found at {AXE}: run `make browser-deps` (npm ci)")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a browser that navigates away resets sockets
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 (a free port) and yield its base URL, ending in '/'."""
    server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright (each context gets a fresh profile)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def local_only(context: object, base: str, blocked: list[str]) -> None:
    """Let a browser context reach only the local server: abort (and record) every other request."""

    def route(route_: object) -> None:
        url = route_.request.url
        if url.startswith(base) or url.startswith("data:") or url.startswith("blob:"):
            route_.continue_()
        else:
            blocked.append(url)
            route_.abort()

    context.route("**/*", route)


def fresh_screenshot_dir() -> Path:
    """Empty screenshot folders for this run, one per viewport."""
    for name in VIEWPORTS:
        folder = SCREENSHOTS / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
