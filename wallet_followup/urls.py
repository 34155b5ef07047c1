from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("agent/", include("surveys.urls")),
    path("manager/campaigns/", include("surveys.campaign_urls")),
    path("manager/", include("analytics.urls")),
    path("health/", include("ops.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
