"""URLs of the builder pages (filled in by the work on issue 4)."""

app_name = "builder"
urlpatterns: list = []
