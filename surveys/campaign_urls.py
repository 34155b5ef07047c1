"""Manager pages for campaigns (built in issue 3's campaign UI)."""

app_name = "campaigns"
urlpatterns: list = []
