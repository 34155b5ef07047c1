from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("agent/calls/", include("surveys.console_urls")),
    path("agent/script/", include("surveys.script_urls")),
    path("agent/schedule/", include("surveys.call_scheduling_urls")),
    path("agent/", include("surveys.urls")),
    path("cases/", include("surveys.case_urls")),
    path("manager/campaigns/", include("surveys.campaign_urls")),
    path("manager/surveys/", include("surveys.builder_urls")),
    path("manager/", include("surveys.wording_urls")),
    path("manager/imports/", include("imports.urls")),
    path("manager/", include("analytics.urls")),
    path("api/", include("integrations.urls")),
    path("health/", include("ops.urls")),
    # Public pages for customers: no login. /s/<token>/… is the survey, its opt-out and /verify/ the check.
    path("s/", include("surveys.public_urls")),
    path("", include("surveys.trust_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler500 = "wallet_followup.errors.server_error"
