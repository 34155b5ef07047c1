"""API tokens: long random strings of which only the SHA-256 hash is stored (as surveys/tokens.py does).

A token reads ``wfu_<43 URL-safe characters>`` (256 bits): the prefix lets a secret scanner or a
person recognise a leaked one. Hashing is enough (no salt, no slow hash): the token is random, not a
password a person chose, so there is nothing to guess from the hash.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "wfu_"
HINT_LENGTH = 10


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and its hash; store only the hash."""
    token = PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hint(token: str) -> str:
    """The first characters, shown in the admin so two tokens of one integration can be told apart."""
    return token[:HINT_LENGTH]
