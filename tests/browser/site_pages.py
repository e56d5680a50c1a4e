"""Every page of the app, for the checks that walk them all: no sideways scrolling on a phone, axe-core.

Pages come from the app's own URL map, as in tests/test_access_matrix.py: every GET rule whose last part
has no file extension (downloads and JSON twins are not pages), with a real value for each URL argument
(an area, a proposal, a group that exist), plus a few query strings that open a page's fuller state. A new
page with a new URL argument fails here until it has a sample value.
"""
from __future__ import annotations

import re
from pathlib import Path

from geoapp.auth.roles import can
from geoapp.web.guard import rule_for

AXE = Path(__file__).resolve().parent.parent.parent / "geoapp" / "static" / "vendor" / "axe-core" / "axe.min.js"
#: Rules not walked: static files, the sign-out button's target, and API items (a page per feature: one is
#: enough, given by EXTRA).
SKIP = {"static", "auth.sign_out"}
#: Install once per page before its scripts run: counts fetches and XHRs in flight, so that the checks wait
#: until the page's own data has arrived and been drawn.
NETWORK_WATCH = """(() => {
  window.__atlasPending = 0;
  const fetch0 = window.fetch;
  window.fetch = function () {
    window.__atlasPending += 1;
    return fetch0.apply(this, arguments).finally(() => { window.__atlasPending -= 1; });
  };
  const open0 = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function () {
    window.__atlasPending += 1;
    this.addEventListener('loadend', () => { window.__atlasPending -= 1; });
    return open0.apply(this, arguments);
  };
})();"""
QUIET = "() => document.readyState === 'complete' && window.__atlasPending === 0"
#: axe-core, limited to the problems the partnership must not ship: serious and critical, WCAG 2.x A and AA
#: plus axe's best practices.
RUN_AXE = """async (scope) => {
  // the map's drawn areas and tiles are pictures, not content (each map has a text alternative): left out,
  // which also keeps axe fast on pages with hundreds of polygons
  const context = scope ? {include: scope, exclude: [['.leaflet-overlay-pane'], ['.leaflet-tile-pane']]}
    : {exclude: [['.leaflet-overlay-pane'], ['.leaflet-tile-pane']]};
  const found = await axe.run(context, {resultTypes: ['violations']});
  return found.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) =>
      n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n').slice(0, 2).join(' '))
  }));
}"""
WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  const wide = [];
  for (const node of document.body.querySelectorAll('*')) {
    const box = node.getBoundingClientRect();
    if (box.right > limit + 1 && box.width > 0) {
      let parent = node.parentElement, clipped = false;
      while (parent && parent !== document.body) {
        const style = getComputedStyle(parent);
        if (style.overflowX !== 'visible' && parent.getBoundingClientRect().right <= limit + 1) {
          clipped = true; break;
        }
        parent = parent.parentElement;
      }
      if (!clipped) { wide.push(node.tagName.toLowerCase() + (node.id ? '#' + node.id : '') +
        (node.className && typeof node.className === 'string'
          ? '.' + node.className.trim().split(/\\s+/).join('.') : '') +
        ' ' + Math.round(box.right)); }
    }
  }
  return wide.slice(0, 6);
}"""


def page_rules(app) -> list:
    """The GET rules that are pages: not static files, downloads or machine-readable twins."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        last = rule.rule.rstrip("/").rsplit("/", 1)[-1]
        if "." in last:  # .json, .csv, .<fmt>, .geojson: not a page
            continue
        found.append(rule)
    return sorted(found, key=lambda r: r.rule)


def page_urls(app, role: str, samples: dict, extra: list[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """(endpoint, url) of every page ``role`` may open, with ``samples`` for the URL arguments.

    ``samples`` maps an argument name to a value, or an endpoint to a dict of its own values (for arguments
    such as ``set_id`` whose good value differs by page); ``extra`` adds (endpoint, url) pairs with query strings.
    """
    urls = []
    with app.test_request_context():
        for rule in page_rules(app):
            if not can(role, rule_for(rule.endpoint)):
                continue
            values = dict(samples) | samples.get(rule.endpoint, {})
            missing = [arg for arg in rule.arguments if arg not in values]
            assert not missing, f"{rule.rule}: add sample values for {missing} to the page walk's samples"
            if any(values[arg] is None for arg in rule.arguments):
                continue  # no such thing for this role (e.g. an upload only officers make)
            urls.append((rule.endpoint, rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1]))
        urls += [(endpoint, url) for endpoint, url in extra if can(role, rule_for(endpoint))]
    return urls


def settle(page, timeout: float = 20_000) -> None:
    """Wait until the page has loaded and no fetch of its own is in flight, two frames more, and still none."""
    page.wait_for_function(QUIET, timeout=timeout, polling=40)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_function(QUIET, timeout=timeout, polling=40)


def overflow(page) -> dict | None:
    """None when nothing scrolls sideways; else the document's width and the widest elements."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    limit = page.viewport_size["width"]
    if width <= limit:
        return None
    return {"width": width, "widest": page.evaluate(WIDEST)}


def axe_violations(page, scope: list | None = None) -> list[dict]:
    """Serious and critical axe-core violations on the page as it stands (or in the ``scope`` selectors)."""
    # Colours are judged as they settle: a popup fading in has its text blended with the page behind.
    page.wait_for_function(SETTLED)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())  # through the DevTools protocol: the page's CSP allows it
    return page.evaluate(RUN_AXE, scope)


#: True once no CSS transition or animation is running (Leaflet fades popups and zooms in with transitions).
SETTLED = "() => document.getAnimations().every(a => a.playState !== 'running')"

_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE.read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


#: The page's content as a fingerprint: the same content for two roles gives the same axe result, so axe runs
#: once per content (and on each role's own header once). Session-bound values (CSRF tokens) are left out.
CONTENT = """() => {
  const main = document.querySelector('main');
  return (main ? main.innerHTML : document.body.innerHTML)
    .replace(/name="csrf_token" value="[^"]*"/g, '').replace(/ nonce="[^"]*"/g, '');
}"""


def content_key(page) -> str:
    import hashlib
    return hashlib.sha1(page.evaluate(CONTENT).encode("utf-8")).hexdigest()


def describe(violations: list[dict]) -> str:
    return "; ".join(f"{v['id']} ({v['impact']}): {v['help']} [{' | '.join(v['nodes'])}]" for v in violations)


def strip_origin(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)
