"""Driving the app in a real (headless) Chromium with Playwright.

Shared by the browser test, the screenshot script (`python -m
apps.screenshots`) and the browser latency benchmark, so the three draw
the same way a person does: mouse strokes on the sketchpad, no tool
clicked first. Needs Debian's `chromium` package and Playwright's Python
API (`pip install playwright`; no browser download).
"""

import pathlib
import re
import socket
import time

CHROMIUM = pathlib.Path("/usr/lib/chromium/chromium")
VIEWPORT = {"width": 1280, "height": 1000}
# Strokes relative to the canvas centre, in pixels of the 280x280 canvas.
STROKES = {
    "1": [[(0, -90), (0, 0), (0, 90)]],
    "7": [[(-70, -80), (70, -80), (10, 0), (-20, 90)]],
}
LABEL_PATTERN = r"Top 5\s+(\S+)"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(playwright):
    """Debian's Chromium, headless, as the tests and benchmarks run it."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        # No --disable-webgl: the editor's canvas would never appear.
        args=["--no-sandbox", "--disable-dev-shm-usage"],
    )


def open_app(browser, url, timeout_ms=60_000):
    """A new page on the app, once the sketchpad's canvas is there."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url)
    page.wait_for_selector("#sketch canvas", timeout=timeout_ms)
    return page


def draw(page, strokes, steps=2):
    """Mouse strokes on the sketchpad, as a person draws them."""
    box = page.locator("#sketch canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for stroke in strokes:
        page.mouse.move(cx + stroke[0][0], cy + stroke[0][1])
        page.mouse.down()
        for dx, dy in stroke[1:]:
            page.mouse.move(cx + dx, cy + dy, steps=steps)
        page.mouse.up()


def top_label(page, selector="#draw_label", timeout=20.0):
    """The top class shown by a `gr.Label`, or `None` once `timeout` ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(LABEL_PATTERN, page.locator(selector).inner_text())
        if match:
            return match.group(1)
        time.sleep(0.1)
    return None


def wait_for_no_label(page, selector="#draw_label", timeout_ms=20_000):
    page.wait_for_function(
        "([selector, pattern]) => !new RegExp(pattern).test("
        "document.querySelector(selector).innerText)",
        arg=[selector, LABEL_PATTERN],
        timeout=timeout_ms,
    )


def trash_canvas(page):
    """Clears with the canvas' own trash icon (not the app's button)."""
    page.locator("#sketch button[aria-label='Clear canvas']").click()
    wait_for_no_label(page)
