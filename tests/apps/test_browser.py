"""Drawing digits with the mouse and a finger in a real (headless) Chromium.

Needs Debian's `chromium` package (`run.sh` installs it) and Playwright's
Python API; skipped with the reason otherwise. No test clicks a drawing
tool: drawing must work when the page opens and after any way of
clearing (the canvas' trash icon, the Clear button). The screenshots land
in `test-artifacts/` at the repository root.
"""

import pathlib

import pytest

from apps import browser

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.large


@pytest.fixture(scope="module")
def chromium():
    if not browser.CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {browser.CHROMIUM}: apt-get install "
            "chromium"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = browser.launch(playwright)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def page(chromium, app_url):
    # The first test draws on this page as it opened: no tool clicked.
    return browser.open_app(chromium, app_url)


@pytest.fixture(scope="module")
def touch_page(chromium, app_url):
    """The app on a touch screen (a phone-sized viewport)."""
    context = chromium.new_context(
        viewport={"width": 412, "height": 915}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#sketch canvas", timeout=60_000)
    yield page
    context.close()


def _read(page, digit, name):
    browser.draw(page, browser.STROKES[digit])
    label = browser.top_label(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"app_{name}.png"))
    return label


def test_drawing_works_on_first_load(page):
    assert _read(page, "7", "first_load_7") == "7"


def test_drawing_works_after_the_canvas_trash_icon(page):
    browser.trash_canvas(page)
    assert _read(page, "1", "after_trash_1") == "1"


@pytest.mark.parametrize("digit", ["1", "7"])
def test_drawn_digit_is_recognised_after_clear(page, digit):
    page.get_by_role("button", name="Clear", exact=True).click()
    browser.wait_for_no_label(page)
    assert _read(page, digit, f"draw_{digit}") == digit
    status = page.locator("#draw_status").inner_text()
    assert f"{digit} (" in status


def _ink_pixels(page):
    """How many pixels of the drawing canvas hold ink."""
    return page.evaluate(
        """() => {
            const canvas = document.querySelector("#sketch canvas");
            const data = canvas.getContext("2d").getImageData(
                0, 0, canvas.width, canvas.height).data;
            let count = 0;
            for (let i = 3; i < data.length; i += 4) count += data[i] > 0;
            return count;
        }"""
    )


def test_both_clear_controls_empty_the_canvas(page):
    browser.trash_canvas(page)  # the 7 the test before drew
    for clear in (
        lambda: browser.trash_canvas(page),
        lambda: page.get_by_role("button", name="Clear", exact=True).click(),
    ):
        browser.draw(page, browser.STROKES["1"])
        assert browser.top_label(page) == "1" and _ink_pixels(page) > 0
        clear()
        browser.wait_for_no_label(page)
        assert _ink_pixels(page) == 0
        assert "Draw a digit" in page.locator("#draw_status").inner_text()


def test_drawing_with_a_finger(touch_page):
    # Touch points go through Chromium's input pipeline, so the canvas
    # gets pointer events of type "touch", as on a phone or tablet.
    cdp = touch_page.context.new_cdp_session(touch_page)
    box = touch_page.locator("#sketch canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for stroke in browser.STROKES["7"]:
        points = [(cx + dx, cy + dy) for dx, dy in stroke]
        kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
        for kind, (x, y) in zip(kinds, points):
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": kind, "touchPoints": [{"x": x, "y": y}]},
            )
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []}
        )
    assert browser.top_label(touch_page) == "7"


LABEL_OVERLAPS_JS = """() => {
    const blocks = [...document.querySelectorAll(".pixels, .labelled")]
        .filter((block) => block.offsetParent !== null);
    const checked = [];
    const covered = [];
    for (const block of blocks) {
        const label = block.querySelector("label");
        const picture = block.querySelector("img");
        if (!label || !picture) continue;
        const a = label.getBoundingClientRect();
        const b = picture.getBoundingClientRect();
        checked.push(label.textContent.trim());
        if (a.left < b.right && b.left < a.right && a.top < b.bottom
                && b.top < a.bottom) {
            covered.push(label.textContent.trim());
        }
    }
    return {checked, covered};
}"""


def test_panel_labels_do_not_cover_their_pictures(page):
    page.get_by_role("button", name="Clear", exact=True).click()
    browser.wait_for_no_label(page)
    browser.draw(page, browser.STROKES["7"])
    browser.top_label(page)
    result = page.evaluate(LABEL_OVERLAPS_JS)
    assert "What the model sees (28×28)" in result["checked"], result
    assert result["covered"] == [], result
