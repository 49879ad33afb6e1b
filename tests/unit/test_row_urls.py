"""The member table's and the journal's per-row URLs and type badges, made without the resolver per row."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse

from members.templatetags.desk_power import type_badge, url_for

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
ADELE = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
BOB = "c11b732b-0e16-46c1-b0fa-bd32c8a42455"


@pytest.mark.parametrize("name, args", [
    ("members:person", [ADELE]), ("members:person", [BOB]),
    ("members:member-remove", ["groups", GROUP, ADELE]), ("members:member-remove", ["units", GROUP, BOB]),
    ("members:member-remove", ["groups", ADELE, ADELE]),  # the same id in two holes
    ("members:container-detail", ["roles", BOB]), ("members:entry-revert", [7]), ("members:entry-revert", [123456]),
])
def test_each_url_is_what_reverse_gives(name, args):
    assert url_for(name, *args) == reverse(name, args=args)


def test_an_id_is_checked_and_lower_cased_as_the_route_would():
    assert url_for("members:person", ADELE.upper()) == reverse("members:person", args=[ADELE])
    for junk in ["../admin", ADELE + "/x", "{" + ADELE + "}", "", None]:
        with pytest.raises(NoReverseMatch):
            url_for("members:person", junk)
    with pytest.raises(NoReverseMatch):
        url_for("members:member-remove", "nokind", GROUP, ADELE)


def test_a_script_prefix_is_kept():
    from django.urls import set_script_prefix

    plain = url_for("members:person", ADELE)
    set_script_prefix("/desk/")
    try:
        assert url_for("members:person", ADELE) == reverse("members:person", args=[ADELE]) == "/desk" + plain
    finally:
        set_script_prefix("/")


def test_the_badge_is_the_type_template_rendered_once_per_type(settings):
    settings.DEBUG = False
    template = Template('{% include "members/_type.html" with type=t %}')
    for member_type in ["user", "group", "device", "servicePrincipal", "orgContact", "somethingNew"]:
        assert type_badge(member_type) == template.render(Context({"t": member_type}))
    assert type_badge("user") is type_badge("user")
