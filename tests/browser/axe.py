"""Accessibility in the browser tests: axe-core (vendored from npm into static/vendor) checks the
page a test has open, and the test fails on any serious or critical violation.

The pages' Content-Security-Policy forbids inline script, so axe is not added as a <script>
element (Playwright inlines a file given by path): its source is evaluated through the DevTools
protocol, as the tests' own `page.evaluate` calls are. The CSP net still watches the page, so
axe doing something the policy forbids would fail the test too.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
# Off by default in axe (experimental), on here: a button whose visible text is not in its
# accessible name cannot be called by that text with speech input (WCAG 2.5.3).
EXTRA_RULES = ("label-content-name-mismatch",)
# Not serious by axe's measure, but named by issue 12: a screen-reader user starts at the <h1>.
ALSO_FAILING = ("page-has-heading-one",)

RUN = """async ({rules, exclude}) => {
  const options = {resultTypes: ["violations"], rules: {}};
  for (const id of rules) options.rules[id] = {enabled: true};
  const context = exclude.length ? {include: [["html"]], exclude: exclude.map((s) => [s])}
    : document;
  const result = await axe.run(context, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html, why: n.failureSummary})),
  }));
}"""


@functools.cache
def _axe_source() -> str:
    # Run as an expression (the file is one); `window.axe` is what it leaves behind.
    return f"(() => {{ {AXE_JS.read_text(encoding='utf-8')}\n; return typeof window.axe; }})()"


def violations(page: Any, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every axe violation on the page as it is now, whatever its impact; `exclude` names (CSS
    selectors) elements left out, for markup that is not Koban's to change."""
    if page.evaluate("typeof window.axe") != "object":
        assert page.evaluate(_axe_source()) == "object", "axe-core did not load"
    return page.evaluate(RUN, {"rules": list(EXTRA_RULES), "exclude": list(exclude)})


def describe(found: list[dict[str, Any]], where: str = "") -> str:
    """Violations as lines a person can act on: rule, impact, what to fix, and where."""
    place = f" on {where}" if where else ""
    lines = [f"axe-core found {len(found)} accessibility problem(s){place}:"]
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}, {len(v['nodes'])} element(s)): {v['help']}")
        lines.append(f"  {v['url']}")
        for node in v["nodes"][:5]:
            lines.append(f"  * {node['target']}: {node['html'][:160]}")
            why = " ".join((node["why"] or "").split())
            if why:
                lines.append(f"    {why[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"  * ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str = "", exclude: tuple[str, ...] = ()) -> None:
    """Fails on a serious or critical axe violation (or one named in ALSO_FAILING)."""
    failing = [
        v
        for v in violations(page, exclude)
        if v["impact"] in FAILING_IMPACTS or v["id"] in ALSO_FAILING
    ]
    assert not failing, describe(failing, where or page.url)
