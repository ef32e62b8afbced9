"""Screenshot an exported report page with headless Chromium, offline.

    .venv/bin/python tools/screenshot.py                      # first report of the latest batch
    .venv/bin/python tools/screenshot.py reports/<id>/<name>.html --out docs/report-screenshot.png

Uses Debian's Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``) through Playwright, with every
request that does not start with ``file://`` aborted (and reported): what you see is what a reader
without a network sees.  The tests of the HTML exports drive the browser through the same functions.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_BYTES = 400_000


def launch(playwright: Any) -> Any:
    """Headless Chromium from the system package (Playwright downloads no browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)


def offline_page(browser: Any, blocked: list[str], width: int = 1200, height: int = 900,
                 allowed: str = "file://") -> Any:
    """A page whose every request not starting with ``allowed`` (local files; or a local server's origin)
    is aborted and recorded in ``blocked``."""
    context = browser.new_context(viewport={"width": width, "height": height})

    def route(r: Any) -> None:
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context.new_page()


def screenshot(html: Path, out: Path, width: int = 1200, max_height: int = 1400) -> list[str]:
    """Save a PNG of the top of ``html`` (at most ``max_height`` CSS pixels) to ``out``, palette-
    compressed; return the requests that were blocked (none for a good export)."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = offline_page(browser, blocked, width=width)
            page.goto(html.resolve().as_uri(), wait_until="load")
            height = min(max_height, int(page.evaluate("document.documentElement.scrollHeight")))
            page.set_viewport_size({"width": width, "height": height})  # a clip is cut to the viewport
            png = page.screenshot(clip={"x": 0, "y": 0, "width": width, "height": height})
        finally:
            browser.close()
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    image.save(tmp, format="PNG", optimize=True)
    os.replace(tmp, out)
    return blocked


def _default_page() -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from helpers.export.model import batch_directory
    from helpers.project import find_project

    _, directory = batch_directory(find_project())
    pages = sorted(p for p in directory.glob("*.html") if p.name != "index.html")
    if not pages:
        raise SystemExit(f"no exported report page in {directory.name}/; run `ktpel export` first")
    return pages[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", nargs="?", type=Path, help="an exported page (default: the latest batch's first)")
    parser.add_argument("--out", type=Path, default=Path("docs/report-screenshot.png"))
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--max-height", type=int, default=1400)
    args = parser.parse_args(argv)
    html = args.html or _default_page()
    blocked = screenshot(html, args.out, args.width, args.max_height)
    size = args.out.stat().st_size
    print(f"{args.out}: {size // 1024} KB from {html.name}")
    if blocked:
        print("blocked requests: " + ", ".join(blocked), file=sys.stderr)
        return 1
    return 0 if size < MAX_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
