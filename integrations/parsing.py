"""Parsing what integrators write (configuration as YAML or JSON), within limits.

Nesting deeper than koban.limits.MAX_JSON_DEPTH is refused with InputTooDeep (a field error
wherever it is caught), never a RecursionError, and YAML aliases are refused: a few lines of
`&a [*a, *a, …]` expand to billions of nodes.
"""

from __future__ import annotations

from typing import Any

import yaml

from koban.limits import MAX_JSON_DEPTH, InputTooDeep, check_depth


class _LimitedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that stops composing past the depth limit and refuses aliases."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted", self.peek_event().start_mark
            )
        self.depth += 1
        try:
            # Scalars are nodes too: a mapping of scalars is one level of data, two of nodes.
            if self.depth > MAX_JSON_DEPTH + 1:
                raise InputTooDeep()
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def yaml_loads(text: str) -> Any:
    """yaml.safe_load within limits: raises yaml.YAMLError or InputTooDeep."""
    loader = _LimitedLoader(text)
    try:
        return check_depth(loader.get_single_data())
    except RecursionError:
        raise InputTooDeep() from None
    finally:
        loader.dispose()
