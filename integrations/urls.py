"""The HTTP API, mounted at /api/. Version 1 lives under /api/v1/; its OpenAPI schema at /api/v1/schema/."""

from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView

from integrations import views


class BankReferenceConverter:
    """A bank reference as stored (1–64 characters, no slash, no control characters)."""

    regex = r"[^/\x00-\x1f\x7f]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    """A row id small enough for every database's integer (a longer number is simply not found)."""

    regex = r"[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(BankReferenceConverter, "bank_reference")
register_converter(IdConverter, "row_id")

app_name = "integrations"
v1 = [
    path("wallet-events/", views.WalletEventView.as_view(), name="wallet-events"),
    path("wallet-events/batch/", views.WalletEventBatchView.as_view(), name="wallet-event-batch"),
    path("customers/<bank_reference:bank_reference>/", views.CustomerView.as_view(), name="customer"),
    path("customers/<bank_reference:bank_reference>/opt-outs/", views.OptOutView.as_view(), name="opt-outs"),
    path(
        "customers/<bank_reference:bank_reference>/contact-history/",
        views.ContactHistoryView.as_view(),
        name="contact-history",
    ),
    path("follow-ups/<row_id:follow_up_id>/", views.FollowUpView.as_view(), name="follow-up"),
    path("schema/", SpectacularAPIView.as_view(urlconf=None), name="schema"),
]
urlpatterns = [path("v1/", include(v1))]
