"""Entra-shaped sign-in endpoints under /sandbox/<tenant-id>/ (login.sandbox.test/<tenant-id>/ publicly)."""

from django.urls import path

from sandbox import authority

urlpatterns = [
    path("<uuid:tenant>/v2.0/.well-known/openid-configuration", authority.discovery, name="sandbox-discovery"),
    path("<uuid:tenant>/.well-known/openid-configuration", authority.discovery),
    path("<uuid:tenant>/discovery/v2.0/keys", authority.keys, name="sandbox-keys"),
    path("<uuid:tenant>/oauth2/v2.0/authorize", authority.authorize, name="sandbox-authorize"),
    path("<uuid:tenant>/oauth2/v2.0/token", authority.token, name="sandbox-token"),
    path("<uuid:tenant>/oauth2/v2.0/logout", authority.logout, name="sandbox-logout"),
]
