"""Write static/vendor/plotly/plotly.css: the style rules plotly.js would inject at run time.

plotly.js adds its global CSS rules (hover labels, mode bar, notifier…) to a <style> element it creates,
which the Content-Security-Policy (style-src 'self') blocks. It skips that when the page already has an
element with id "plotly.js-style-global" and class "no-inline-styles" (plotly.js's strict-CSP switch),
so templates/includes/plotly.html links this file under that id. Upstream no longer ships the file
(plotly.js issue 7543), so it is read from the vendored plotly.min.js itself: loaded in headless Chromium
without a policy, the rules it injected are written out. Run after refreshing plotly.min.js:

    .venv/bin/python scripts/plotly_css.py
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import sync_playwright

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "plotly"


def main() -> None:
    script = (VENDOR / "plotly.min.js").read_text(encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.set_content("<!doctype html><html><head></head><body></body></html>")
        page.add_script_tag(content=script)
        rules = page.evaluate(
            """() => Array.from(document.getElementById("plotly.js-style-global").sheet.cssRules)
                 .map((rule) => rule.cssText).reverse()"""
        )  # plotly.js inserts each rule at index 0: reversed, they read in its own order
        version = page.evaluate("Plotly.version")
        browser.close()
    header = f"/* The global style rules of plotly.js {version}, written by scripts/plotly_css.py. */\n"
    (VENDOR / "plotly.css").write_text(header + "\n".join(rules) + "\n", encoding="utf-8")
    print(f"{len(rules)} rules of plotly.js {version} written to {VENDOR / 'plotly.css'}")


if __name__ == "__main__":
    main()
