"""URLs of the wording pages (filled in by the work on issue 4)."""

app_name = "wording"
urlpatterns: list = []
