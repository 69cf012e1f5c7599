from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# The analytics routes first: they are the most requested, and every pattern tried before
# the match costs time on each request.
api_v1 = [
    path("analytics/", include("api.analytics.urls")),
    path("", include("api.athletes.urls")),
    path("", include("api.organizations.urls")),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    # The split view serves its script as a file, so the content security policy holds.
    path("api/docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("", include("pages.urls")),
]
