"""Root URLs: app URLs first, Wagtail's page serving last."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as accounts_views
from config import views
from config.csp import csp_report

# URLs are not language-prefixed: the language comes from the user's profile or the
# switcher's cookie, so a link shared between colleagues works for both.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path(settings.CSP_REPORT_URL.lstrip("/"), csp_report, name="csp_report"),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("accounts.urls")),
    path("accounts/signup/", accounts_views.signup),
    path("accounts/", include("allauth.urls")),
    path("", include("lms.urls")),
    path("", include("cohorts.urls")),
    path("", include("rooms.urls")),
    path("", include("cms.urls")),
]

if settings.BENCHMARK_ENDPOINTS:
    urlpatterns.insert(0, path("_bench/floor", views.bench_floor, name="bench_floor"))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
