"""The production static files storage: WhiteNoise's compressed manifest, adjusted for Koban."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns: tuple) -> tuple:
    return tuple(
        (glob, tuple(p for p in rules if "sourceMappingURL" not in str(p)))
        for glob, rules in patterns
    )


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed names, gzip and brotli copies, with two changes.

    The vendored libraries (static/vendor) name source maps that are not shipped: their
    `sourceMappingURL` comments are left alone instead of failing collectstatic. The dashboard's
    ES modules import each other: those imports are rewritten to hashed names too, so a page
    never mixes modules of two releases.
    """

    support_js_module_import_aggregation = True
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
