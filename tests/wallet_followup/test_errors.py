"""A database outage is "try again in a minute" (503), in both languages; any other failure stays a 500."""

import pytest
from django import db
from django.test import Client

from surveys import public_views

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_browser():
    return Client(raise_request_exception=False)


def test_a_customer_whose_answer_meets_a_database_restart_is_told_to_try_again(customer_browser, monkeypatch):
    def database_gone(token, *, now):
        raise db.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(public_views, "resolve_link", database_gone)

    response = customer_browser.post("/s/some-token/", {"question": "nps", "answer": "9"})

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "服务暂时不可用" in page and "Temporarily unavailable" in page
    assert "The answers you already saved are kept." in page


def test_any_other_failure_is_still_a_server_error(customer_browser, monkeypatch):
    def broken(token, *, now):
        raise RuntimeError("a bug")

    monkeypatch.setattr(public_views, "resolve_link", broken)

    response = customer_browser.get("/s/some-token/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
