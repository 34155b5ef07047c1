"""Typed readers for settings that come from the environment.

Each helper names the variable in its error so that a bad deployment stops at start-up with one
line saying what to fix, instead of failing later somewhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


class BadEnvironment(ImproperlyConfigured):
    """A variable is missing or malformed; the message names it."""


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    source = os.environ if environ is None else environ
    value = source.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default=_MISSING, *, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    if value is None or value == "":
        if default is _MISSING:
            raise BadEnvironment(f"{name} is not set; it is required.")
        return default
    return value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadEnvironment(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadEnvironment(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise BadEnvironment(f"{name}={number} is below the minimum of {minimum}.")
    if maximum is not None and number > maximum:
        raise BadEnvironment(f"{name}={number} is above the maximum of {maximum}.")
    return number


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    value = _raw(name, environ)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default=_MISSING, *, schemes: set[str], environ: Mapping[str, str] | None = None) -> str:
    """A URL whose scheme is one of `schemes` (e.g. {"redis", "rediss"}); an empty default is kept."""
    value = env_str(name, default, environ=environ)
    if value == "" and default == "":
        return value
    scheme = urlparse(value).scheme
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise BadEnvironment(f"{name} has scheme {scheme!r}; expected one of: {allowed}.")
    return value
