"""The comparison page in headless Chromium: table, chart and maps load; the keyboard alone changes the indicator."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

APBS = "apb:dundon,apb:norworth,apb:rural-east"


def loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def tab_to(page, element_id: str, limit: int = 80) -> None:
    """Press Tab until the element has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def test_compare_three_apbs_and_change_the_indicator_by_keyboard(demo_app, tab, screenshots, live_server):
    view = demo_app.test_client().get(f"/compare/index.json?areas={APBS}").get_json()
    indicators = sum(len(t["indicators"]) for t in view["themes"])
    with live_server(demo_app) as server:
        page = tab.page
        page.goto(f"{server.url}/compare/?areas={APBS}")
        assert page.locator("table.side-by-side tbody tr").count() == indicators
        headings = page.locator("table.side-by-side").first.locator("thead th").all_inner_texts()
        assert [h.split("\n")[0] for h in headings[2:]] == ["Dundon", "Norworth", "Rural East", "Ashvale (fictional)"]
        page.wait_for_load_state("networkidle")
        assert loaded(page, "img.ranked-chart")
        assert page.locator("figure.small-map img").count() == 3
        assert all(loaded(page, f"figure.small-map:nth-child({n}) img") for n in (1, 2, 3))
        default = next(i["title"] for t in view["themes"] for i in t["indicators"] if i["id"] == view["indicator"])
        assert default in page.inner_text("#ranked-h")

        tab_to(page, "indicator")
        before = page.input_value("#indicator")
        page.keyboard.press("ArrowDown")
        chosen = page.input_value("#indicator")
        assert chosen != before
        tab_to(page, "chart-set", limit=2)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Show"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert f"indicator={chosen}" in page.url and "#ranked" in page.url
        title = next(i["title"] for t in view["themes"] for i in t["indicators"] if i["id"] == chosen)
        assert title in page.inner_text("#ranked-h")
        page.wait_for_load_state("networkidle")
        assert loaded(page, "img.ranked-chart")
        assert f"indicator={chosen}" in page.get_attribute("img.ranked-chart", "src")
        page.screenshot(path=str(screenshots / "compare.png"), full_page=True)
        page.set_viewport_size({"width": 820, "height": 1180})  # a tablet held upright
        page.goto(f"{server.url}/compare/?areas={APBS}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 820
        page.screenshot(path=str(screenshots / "compare-tablet.png"))
        assert tab.errors == [] and tab.foreign_requests(server.url) == [] and tab.dialogs == []
