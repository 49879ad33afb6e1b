"""The background change's bookkeeping: claimed once, resumed when its worker went quiet, and the kept
sign-in let go only when its person has nothing left running or scheduled."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import KeptSignIn
from members import background, expiry
from members.models import BackgroundChange, Expiry, JobState

GROUP = "11111111-2222-4333-8444-555555555555"
MEMBER = "66666666-7777-4888-9999-000000000000"


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create(username="oid-helpdesk", email="helpdesk@contoso.example")


def job_of(person, **fields) -> BackgroundChange:
    return BackgroundChange.objects.create(actor=person, actor_upn=person.email, action="add", container_kind="groups",
                                           container_id=GROUP, member_ids=[MEMBER], total=1, **fields)


def kept_for(person) -> KeptSignIn:
    return KeptSignIn.objects.create(user=person, account_id="acc", scopes=[], sealed_cache="sealed", session_key="",
                                     kept_until=timezone.now() + timedelta(hours=1))


def test_a_job_is_claimed_once(db, person):
    job = job_of(person)
    assert background.claim(job.pk) is not None
    assert background.claim(job.pk) is None  # running, and its worker is not quiet: another worker leaves it
    assert BackgroundChange.objects.get().state == JobState.RUNNING


def test_a_job_whose_worker_went_quiet_is_found_stale_and_claimed_again(db, person, settings):
    job = job_of(person, state=JobState.RUNNING)
    assert background.stale_jobs() == []
    BackgroundChange.objects.filter(pk=job.pk).update(updated_at=timezone.now() - settings.BACKGROUND_CHANGE_STALE * 2)
    assert background.stale_jobs() == [job.pk]
    assert background.claim(job.pk) is not None and background.stale_jobs() == []


def test_a_finished_job_is_never_claimed(db, person):
    for state in (JobState.DONE, JobState.INTERRUPTED):
        assert background.claim(job_of(person, state=state).pk) is None


def test_the_kept_sign_in_stays_while_a_job_is_unfinished_and_goes_after(db, person):
    kept_for(person)
    job = job_of(person, state=JobState.RUNNING)
    expiry.let_go_if_idle(person.pk)
    assert KeptSignIn.objects.exists()
    BackgroundChange.objects.filter(pk=job.pk).update(state=JobState.DONE)
    expiry.let_go_if_idle(person.pk)
    assert not KeptSignIn.objects.exists()


def test_the_kept_sign_in_stays_for_scheduled_ends_after_a_job(db, person):
    kept_for(person)
    job_of(person, state=JobState.DONE)
    Expiry.objects.create(container_kind="groups", container_id=GROUP, member_id=MEMBER, granted_by=person,
                          expires_at=timezone.now() + timedelta(days=1))
    expiry.let_go_if_idle(person.pk)
    assert KeptSignIn.objects.exists()


def test_a_job_is_shown_to_its_person_while_unfinished_and_a_day_after_it_stopped(db, person, django_user_model):
    running, stopped = job_of(person, state=JobState.RUNNING), job_of(person, state=JobState.INTERRUPTED)
    job_of(person, state=JobState.DONE)
    other = django_user_model.objects.create(username="oid-other")
    assert set(BackgroundChange.objects.shown_to(person)) == {running, stopped}
    assert not BackgroundChange.objects.shown_to(other).exists()
    BackgroundChange.objects.filter(pk=stopped.pk).update(updated_at=timezone.now() - timedelta(days=2))
    assert set(BackgroundChange.objects.shown_to(person, GROUP)) == {running}
