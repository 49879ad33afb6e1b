"""A number setting with a bad value stops the start with a message naming it, never a bare ValueError."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.settings import env_number


@pytest.mark.parametrize("value, said", [("soon", "must be a number"), ("nan", "must be at least 0"), ("-5", "must be at least 0")])
def test_a_bad_number_names_the_setting(monkeypatch, value, said):
    monkeypatch.setenv("SWEEP_EVERY", value)
    with pytest.raises(ImproperlyConfigured, match=f"SWEEP_EVERY {said}"):
        env_number("SWEEP_EVERY", 30)


def test_a_whole_number_setting_refuses_a_fraction_and_an_empty_one_is_the_default(monkeypatch):
    monkeypatch.setenv("EXPIRY_MAX_DAYS", "1.5")
    with pytest.raises(ImproperlyConfigured, match="EXPIRY_MAX_DAYS must be a whole number"):
        env_number("EXPIRY_MAX_DAYS", 365, whole=True)
    monkeypatch.setenv("EXPIRY_MAX_DAYS", " ")
    assert env_number("EXPIRY_MAX_DAYS", 365, whole=True) == 365
    monkeypatch.setenv("EXPIRY_MAX_DAYS", "800")
    assert env_number("EXPIRY_MAX_DAYS", 365, whole=True) == 800
