"""Only the Graph emulation, at the path the project mounts it on: the sandbox's contract tests
don't depend on the sign-in authority or the app."""

from django.urls import include, path

urlpatterns = [path("sandbox/graph/", include("sandbox.graph_urls"))]
