"""`python -m personalize_dev.page_shot PAGE.html OUT.png`: a PNG of a report page the pipeline wrote (the docs'
screenshots of report sections), through the system Chromium the browser test uses."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def shoot(page: Path, out: Path, width: int = 1100) -> None:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("PERSONALIZE_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        tab = browser.new_page(viewport={"width": width, "height": 400})
        tab.goto(page.resolve().as_uri())
        out.parent.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(out), full_page=True)
        browser.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m personalize_dev.page_shot", description=__doc__)
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1100)
    args = parser.parse_args(argv)
    shoot(args.page, args.out, args.width)
    print(args.out)


if __name__ == "__main__":
    main()
