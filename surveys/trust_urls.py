"""URLs of the trust pages (filled in by the work on issue 4)."""

app_name = "trust"
urlpatterns: list = []
