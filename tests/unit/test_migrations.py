"""Migrations that meet a journal written by older code."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_two_standing_reverts_of_one_entry_from_before_the_constraint_migrate_keeping_the_first():
    executor = MigrationExecutor(connection)
    executor.migrate([("members", "0005_change_note")])
    AuditEntry = executor.loader.project_state([("members", "0005_change_note")]).apps.get_model("members", "AuditEntry")
    fields = {"actor_upn": "a@contoso.example", "container_kind": "groups", "container_id": "g", "member_id": "m"}
    removed = AuditEntry.objects.create(action="remove", outcome="done", **fields)
    first = AuditEntry.objects.create(action="add", outcome="done", reverts_id=removed.pk, **fields)
    second = AuditEntry.objects.create(action="add", outcome="already", reverts_id=removed.pk, **fields)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("members"))
    AuditEntry = executor.loader.project_state(executor.loader.graph.leaf_nodes("members")).apps.get_model(
        "members", "AuditEntry")
    kept, unlinked = AuditEntry.objects.get(pk=first.pk), AuditEntry.objects.get(pk=second.pk)
    assert kept.reverts_id == removed.pk and unlinked.reverts_id is None and unlinked.outcome == "already"
    assert f"second revert of entry {removed.pk}" in unlinked.message
