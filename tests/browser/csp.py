"""The Content-Security-Policy net in the browser tests: every page a test opens is watched, and
a violation (inline script or style, eval, a load from elsewhere) or an HTML page served without
the header fails that test. Used by the shared fixtures and by other browser tests."""

from __future__ import annotations

import contextlib
import json
from typing import Any

# Runs before any script of every page and frame. The binding carries each violation out of the
# page at once, so one followed by a navigation is not lost; the array serves in-page checks.
CSP_WATCH = """
window.__cspViolations = [];
window.addEventListener("securitypolicyviolation", (e) => {
  const v = {
    directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample, page: location.pathname,
  };
  window.__cspViolations.push(v);
  if (window.__kobanCspViolation) window.__kobanCspViolation(v);
}, true);
"""


def watch_csp(context: Any, base_url: str) -> list[dict[str, Any]]:
    """Start watching a Playwright browser context; returns the list violations land in."""
    found: list[dict[str, Any]] = []
    context.expose_binding("__kobanCspViolation", lambda _source, v: found.append(v))
    context.add_init_script(CSP_WATCH)

    def check_header(response: Any) -> None:
        if response.request.resource_type != "document" or not response.url.startswith(base_url):
            return
        if not response.headers.get("content-security-policy"):
            found.append({"directive": "(no Content-Security-Policy header)", "page": response.url})

    context.on("response", check_header)
    return found


def flush(context: Any) -> None:
    """Let the context's pages deliver violations still on their way to Python."""
    for page in context.pages:
        with contextlib.suppress(Exception):
            page.evaluate("0")


def assert_no_violations(found: list[dict[str, Any]]) -> None:
    assert not found, "Content-Security-Policy violations:\n" + "\n".join(
        json.dumps(v, ensure_ascii=False) for v in found
    )
