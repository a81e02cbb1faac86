"""The browsable API, for reading only.

DRF's browsable renderer builds edit forms from each view's serializer, and Koban's views declare
input serializers per operation instead of a `serializer_class`: the forms would fail (500) on
most detail pages. People read the API here (filters as query parameters) and write through
Swagger UI or their client.
"""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BrowsableAPIRenderer


class ReadOnlyBrowsableAPIRenderer(BrowsableAPIRenderer):
    def get_rendered_html_form(self, data: Any, view: Any, method: str, request: Any) -> None:
        return None

    def get_raw_data_form(self, data: Any, view: Any, method: str, request: Any) -> None:
        return None

    def get_filter_form(self, data: Any, view: Any, request: Any) -> None:
        return None
