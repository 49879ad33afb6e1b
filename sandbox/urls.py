"""The sandbox's routes, mounted at /sandbox/ in sandbox mode only (portal/urls.py).

The transport maps https://graph.sandbox.test/<version>/... to graph/<version>/... here and
https://login.sandbox.test/<tenant>/... to <tenant>/... here.
"""

from django.urls import include, path

urlpatterns = [
    path("graph/", include("sandbox.graph_urls")),
    path("", include("sandbox.authority_urls")),
]
