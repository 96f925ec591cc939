"""Root URLs: app URLs first, Wagtail's page serving last."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as accounts_views
from config import views
from config.csp import csp_report

# Both admins sign in through allauth, so neither login can skip the second factor: Wagtail's
# login page redirects to allauth's (WAGTAILADMIN_LOGIN_URL sends its own redirects there too),
# Django's admin login does the same through allauth's decorator.
admin.site.login = secure_admin_login(admin.site.login)

# URLs are not language-prefixed: the language comes from the user's profile or the
# switcher's cookie, so a link shared between colleagues works for both.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path(settings.CSP_REPORT_URL.lstrip("/"), csp_report, name="csp_report"),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
    path("admin/login/", RedirectView.as_view(pattern_name="account_login", query_string=True), name="admin_login_redirect"),
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
    urlpatterns[:0] = [
        path("_bench/floor", views.bench_floor, name="bench_floor"),
        path("_bench/content-changed", views.bench_content_changed, name="bench_content_changed"),
    ]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
