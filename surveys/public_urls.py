"""URLs of the public pages (filled in by the work on issue 4)."""

app_name = "public"
urlpatterns: list = []
