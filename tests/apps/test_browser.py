"""Drawing digits with the mouse in a real (headless) Chromium.

Needs Debian's `chromium` package (`run.sh` installs it) and Playwright's
Python API; skipped with the reason otherwise. No test clicks a drawing
tool: the brush must be on when the page opens and after any way of
clearing. The screenshots land in `test-artifacts/` at the repository
root.
"""

import pathlib

import pytest

from apps import browser

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.large


@pytest.fixture(scope="module")
def page(app_url):
    if not browser.CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {browser.CHROMIUM}: apt-get install "
            "chromium"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        # The first test draws on this page as it opened: no tool clicked.
        yield browser.open_app(chromium, app_url)
        chromium.close()


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
