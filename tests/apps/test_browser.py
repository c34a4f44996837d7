"""Drawing digits with the mouse in a real (headless) Chromium.

Needs Debian's `chromium` package (`run.sh` installs it) and Playwright's
Python API; skipped with the reason otherwise. The screenshots land in
`test-artifacts/` at the repository root.
"""

import pathlib
import re
import time

import pytest

CHROMIUM = pathlib.Path("/usr/lib/chromium/chromium")
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.large

# Strokes relative to the canvas centre, in pixels of the 280x280 canvas.
STROKES = {
    "1": [[(0, -90), (0, 0), (0, 90)]],
    "7": [[(-70, -80), (70, -80), (10, 0), (-20, 90)]],
}


@pytest.fixture(scope="module")
def page(app_url):
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # No --disable-webgl: the editor's canvas would never appear.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        page.wait_for_selector("#sketch canvas", timeout=60_000)
        yield page
        browser.close()


def _draw(page, strokes):
    # Strokes only register once the Brush tool is selected.
    page.get_by_role("button", name="Brush").first.click()
    box = page.locator("#sketch canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for stroke in strokes:
        page.mouse.move(cx + stroke[0][0], cy + stroke[0][1])
        page.mouse.down()
        for dx, dy in stroke[1:]:
            page.mouse.move(cx + dx, cy + dy, steps=2)
        page.mouse.up()


def _top_label(page, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = page.locator("#draw_label").inner_text()
        match = re.search(r"Top 5\s+(\S+)", text)
        if match:
            return match.group(1)
        time.sleep(0.25)
    return None


@pytest.mark.parametrize("digit", ["1", "7"])
def test_drawn_digit_is_recognised(page, digit):
    page.get_by_role("button", name="Clear", exact=True).click()
    page.wait_for_function(
        "() => !/Top 5\\s+\\S/.test("
        "document.querySelector('#draw_label').innerText)"
    )
    _draw(page, STROKES[digit])
    label = _top_label(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"app_draw_{digit}.png"))
    assert label == digit
    status = page.locator("#draw_status").inner_text()
    assert f"{digit} (" in status
