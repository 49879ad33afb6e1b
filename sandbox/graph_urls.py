"""Graph routes, under /sandbox/graph/ (sandbox/urls.py): one view per version; the rest is
routed by ``sandbox.graph.routing`` because Graph paths ($ref, casts, alternate keys) and $batch
items share one dispatcher."""

from django.urls import re_path

from sandbox import graph_views

urlpatterns = [
    re_path(r"^(?P<version>v1\.0|beta)/(?P<rest>.*)$", graph_views.graph, name="sandbox-graph"),
]
