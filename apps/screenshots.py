"""Screenshots of every tab of the app, for the README.

    python -m apps.screenshots [--models DIR] [--out docs/img]

Starts the app on a free local port with the shipped models in headless
Chromium (see `apps.browser`), visits each tab and writes
`app_<tab>.png`. The Upload tab is shown twice: an ankle boot read as
digits (the other family's answer in the status line) and the same
picture read as clothing after one click on *Read as*. Then a 7 is drawn
with the mouse, and the other tabs show it.
"""

import argparse
import pathlib

from apps import browser
from apps import classifier
from apps import core
from apps.models import ModelStore

OUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "img"
BOOT = core.EXAMPLES_DIR / "fashion_0_ankle_boot.png"


def _tab(page, name):
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(300)


def _settle(page, ms=2500):
    # The page keeps a server-sent-events stream open, so "network idle"
    # never comes: give the queued outputs time to be painted.
    page.wait_for_timeout(ms)


def take(page, out):
    """Visits every tab of an open app page and saves one PNG per view."""
    shots = []

    def shot(name):
        path = out / f"app_{name}.png"
        page.screenshot(path=str(path))
        shots.append(path)

    _tab(page, "Upload an image")
    page.locator("#upload input[type=file]").set_input_files(str(BOOT))
    browser.top_label(page, "#upload_label")
    _settle(page)
    shot("upload_as_digits")
    page.locator("#upload_family").get_by_text("clothing").click()
    _settle(page)
    shot("upload_as_clothing")
    # Drawn last, the 7 is the input the remaining tabs show.
    _tab(page, "Draw a digit")
    browser.draw(page, browser.STROKES["7"])
    browser.top_label(page)
    _settle(page, 1000)
    shot("draw")
    _tab(page, "What the network sees")
    page.wait_for_selector("#inside_maps img", timeout=60_000)
    _settle(page)
    shot("inside")
    _tab(page, "Kernel playground")
    _settle(page)
    shot("playground")
    _tab(page, "Architecture")
    _settle(page)
    shot("architecture")
    _tab(page, "Sequence (TCN)")
    page.get_by_role("button", name="Stream the current digit").click()
    page.wait_for_selector("#seq_plot img", timeout=60_000)
    _settle(page, 1000)
    shot("sequence")
    return shots


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=None, help="Folder of models.")
    parser.add_argument("--out", default=str(OUT), help="Default: docs/img.")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = classifier.App(ModelStore(args.models))
    app.warm_up()  # compiled once, so no tab is caught mid-compile
    demo = app.build_queued()
    _, url, _ = classifier.launch(
        demo, port=browser.free_port(), prevent_thread_lock=True, quiet=True
    )
    try:
        with sync_playwright() as playwright:
            chromium = browser.launch(playwright)
            page = browser.open_app(chromium, url)
            for path in take(page, out):
                print(path)
            chromium.close()
    finally:
        demo.close()


if __name__ == "__main__":
    main()
