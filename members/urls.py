"""The app's URLs. Kinds and container ids are checked here: anything but ``units|groups|roles``
and a GUID is a 404 before any view runs (DESIGN.md invariants 1 and 9)."""

from django.urls import path, register_converter

from members.views import containers, entra, expiries, export, jobs, journal, membership, owners, paste, people, undo
from members.directory import Kind
from members.directory import GUID_PATTERN, object_id


class KindConverter:
    regex = "units|groups|roles"

    def to_python(self, value: str) -> Kind:
        return Kind(value)

    def to_url(self, value: str) -> str:
        return str(value)


class GuidConverter:
    """A directory object id: a GUID (any case), handed to views in canonical lower case."""

    regex = GUID_PATTERN.replace("a-f", "a-fA-F")

    def to_python(self, value: str) -> str:
        return object_id(value.lower())

    def to_url(self, value: str) -> str:
        return object_id(str(value).lower())


register_converter(KindConverter, "kind")
register_converter(GuidConverter, "guid")

app_name = "members"
urlpatterns = [
    path("", containers.home, name="home"),
    path("activity/", journal.activity, name="activity"),
    path("activity/<int:entry_id>/revert/", undo.entry_revert, name="entry-revert"),
    path("activity/change/<uuid:change_id>/revert/", undo.change_revert, name="change-revert"),
    path("jobs/<uuid:job_id>/", jobs.job_detail, name="job-detail"),
    path("expiries/<int:end_id>/", expiries.expiry_detail, name="expiry-move"),
    path("roles/template/<guid:template_id>/", containers.role_by_template, name="role-by-template"),
    path("people/<guid:person_id>/", people.person_detail, name="person"),
    path("people/<guid:person_id>/remove/", people.person_remove, name="person-remove"),
    path("people/<guid:person_id>/add/", people.person_add, name="person-add"),
    path("people/<guid:person_id>/groups/", people.person_groups, name="person-groups"),
    path("groups/ownerless/", owners.ownerless_list, name="ownerless-groups"),
    path("groups/<guid:group_id>/owners/", owners.owner_collection, name="owner-collection"),
    path("groups/<guid:group_id>/owners/<str:owner_id>/", owners.owner_remove, name="owner-remove"),
    path("groups/<guid:group_id>/owner-candidates/", owners.owner_candidates, name="owner-candidates"),
    path("<kind:kind>/", containers.container_list, name="container-list"),
    path("<kind:kind>/<guid:container_id>/", containers.container_detail, name="container-detail"),
    path("<kind:kind>/<guid:container_id>/members/", containers.member_collection, name="member-collection"),
    path("<kind:kind>/<guid:container_id>/members.csv", export.member_export, name="member-export"),
    path("<kind:kind>/<guid:container_id>/candidates/", containers.member_candidates, name="member-candidates"),
    path("<kind:kind>/<guid:container_id>/members/remove/", membership.member_bulk_remove, name="member-bulk-remove"),
    # Before members/<member_id>/, which would take "paste" for an id:
    path("<kind:kind>/<guid:container_id>/members/paste/", paste.member_paste, name="member-paste"),
    path("<kind:kind>/<guid:container_id>/members/paste/run/", paste.member_paste_run, name="member-paste-run"),
    path("<kind:kind>/<guid:container_id>/members/undo/", undo.member_undo, name="member-undo"),
    path("<kind:kind>/<guid:container_id>/members/view/", entra.member_view, name="member-view"),
    # The member id is checked by the view (a 400 names it): the container must exist as a URL first.
    path("<kind:kind>/<guid:container_id>/members/<str:member_id>/", membership.member_remove, name="member-remove"),
]
