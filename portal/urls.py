from django.conf import settings
from django.urls import include, path

from portal import auth

auth_patterns = (
    [
        path("sign-in/", auth.sign_in, name="sign-in"),
        path("callback/", auth.callback, name="callback"),
        path("sign-out/", auth.sign_out, name="sign-out"),
        path("signed-out/", auth.signed_out, name="signed-out"),
    ],
    "auth",
)

urlpatterns = [
    path("accounts/", include(auth_patterns)),
    path("", include("members.urls")),
]

# The sandbox tenant is routed in sandbox mode only (DESIGN.md invariant 5).
if settings.SANDBOX_MODE:
    urlpatterns.insert(0, path("sandbox/", include("sandbox.urls")))
