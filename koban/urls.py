"""Top-level URLs: each app owns its own urls module."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard.security import views as security_views

urlpatterns = [
    # Log-in: the password (behind the lockout), then a code, or enrolment of an authenticator
    # app first for a role that needs one (dashboard/security/).
    path("login/", security_views.LoginView.as_view(), name="login"),
    path("login/code/", security_views.verify, name="two-factor-verify"),
    path("login/two-factor/", security_views.enrol, name="two-factor-enrol"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # REST API v1 and its OpenAPI schema/docs (dashboard/api/urls.py).
    path("api/", include("dashboard.api.urls")),
    # The resident loop: messages to residents and their feedback (residents/), issue 15.
    path("api/v1/", include("residents.api_urls")),
    path("r/", include("residents.urls")),
    # Koban as an Open311 GeoReport v2 server: public reads, posts with a client key (open311/).
    path("open311/v2/", include("open311.urls")),
    # Integrations' API endpoints live with the integrations app.
    path("api/v1/integrations/", include("integrations.api_urls")),
    # Integrations' pages for IT staff.
    path("integrations/", include("integrations.urls")),
    # Dashboard pages (operations map, follow-up board, my work).
    path("", include("dashboard.urls")),
]

# The API-under-load bench's baseline view (bench/api_load.py); off unless KOBAN_BENCH_VIEWS.
if settings.KOBAN_BENCH_VIEWS:
    from bench.views import trivial

    urlpatterns.append(path("bench/trivial/", trivial, name="bench-trivial"))
