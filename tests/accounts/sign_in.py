"""Signing in through the real pages, for the tests of sign-in itself (other tests use force_login)."""

from django.test import Client
from django.urls import reverse

from tests import factories


def give_password(client: Client, username: str, password: str = factories.PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def give_code(client: Client, code: str, **extra):
    return client.post(reverse("two-factor-verify"), {"code": code}, **extra)
