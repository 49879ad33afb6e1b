from django.conf import settings
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("", include("members.urls")),
]

# The sandbox tenant is routed in sandbox mode only (DESIGN.md invariant 5).
if settings.SANDBOX_MODE:
    urlpatterns.insert(0, path("sandbox/", include("sandbox.urls")))
