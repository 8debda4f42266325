"""The database refuses to change or delete audit entries, and verify_chain notices one altered anyway."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ringfence.audit.models import AuditAction, AuditEvent
from ringfence.audit.services import record, verify_chain

pytestmark = pytest.mark.django_db


def _three():
    return [record(AuditAction.VIEW, actor=f"user{i}", target_type="person", target_ref=f"E{i}") for i in range(3)]


def test_update_is_refused_by_the_database():
    event = _three()[1]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor="someone else")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET target_ref = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor == "user1"


def test_delete_is_refused_by_the_database():
    event = _three()[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 3


def _drop_triggers(cursor):
    if connection.vendor == "postgresql":
        cursor.execute("DROP TRIGGER audit_auditevent_no_change ON audit_auditevent")
    else:
        cursor.execute("DROP TRIGGER audit_auditevent_no_update")
        cursor.execute("DROP TRIGGER audit_auditevent_no_delete")


def test_verify_chain_finds_an_entry_altered_behind_the_database():
    events = _three()
    assert verify_chain() == []
    # Inside the test's transaction, so the triggers come back when it rolls back.
    with connection.cursor() as cursor:
        _drop_triggers(cursor)
        cursor.execute("UPDATE audit_auditevent SET target_ref = 'E999' WHERE id = %s", [events[1].pk])
    problems = verify_chain()
    assert problems == [f"audit event {events[1].pk}: content does not match its hash (entry altered)"]


def test_verify_chain_finds_a_removed_entry():
    events = _three()
    with connection.cursor() as cursor:
        _drop_triggers(cursor)
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    problems = verify_chain()
    assert len(problems) == 1
    assert f"audit event {events[2].pk}: previous hash does not match" in problems[0]
