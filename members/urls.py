from django.urls import path, register_converter

from members import views


class KindConverter:
    regex = "units|groups|roles"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(KindConverter, "kind")

app_name = "members"
urlpatterns = [
    path("", views.home, name="home"),
    path("activity/", views.activity, name="activity"),
    path("roles/template/<str:template_id>/", views.role_by_template, name="role-by-template"),
    path("<kind:kind>/", views.container_list, name="container-list"),
    path("<kind:kind>/<str:container_id>/", views.container_detail, name="container-detail"),
    path("<kind:kind>/<str:container_id>/members/", views.member_collection, name="member-collection"),
    path("<kind:kind>/<str:container_id>/candidates/", views.member_candidates, name="member-candidates"),
    path("<kind:kind>/<str:container_id>/members/remove/", views.member_bulk_remove, name="member-bulk-remove"),
    path("<kind:kind>/<str:container_id>/members/<str:member_id>/", views.member_remove, name="member-remove"),
]
