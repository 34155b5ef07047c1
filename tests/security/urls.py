"""Every URL of the site, walked from the resolver, with its parameters filled in, for the security suite."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

# A value for each path converter; the tests that need real objects put their ids in.
FILLERS = {"int": "1", "str": "x" * 43, "slug": "x", "path": "1", "bank_reference": "C-1", "row_id": "1"}
_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class SiteUrl:
    route: str  # as written in the URLconf, e.g. "cases/<int:pk>/"
    name: str  # namespaced, e.g. "cases:detail"
    callback: object

    def fill(self, **values: str) -> str:
        def value(match: re.Match) -> str:
            return values.get(match["name"], FILLERS[match["converter"] or "str"])

        return "/" + _PARAMETER.sub(value, self.route)

    @property
    def csrf_exempt(self) -> bool:
        return getattr(self.callback, "csrf_exempt", False)


def site_urls() -> list[SiteUrl]:
    """Every URL written as a route (the admin's few regular expressions, e.g. its app index, are left out)."""

    def walk(patterns, prefix: str, namespace: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                if isinstance(pattern.pattern, RoutePattern):
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern):
                yield SiteUrl(prefix + str(pattern.pattern), namespace + (pattern.name or ""), pattern.callback)

    return list(walk(get_resolver().url_patterns, "", ""))
