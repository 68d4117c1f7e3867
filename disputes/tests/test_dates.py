"""One date format per page in the admin, and dates inside messages read in the reader's locale."""

import re
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags

from disputes import services
from disputes.models import Dispute, StoreRestriction
from disputes.tests.helpers import DAY, dispute_in_state, open_dispute

OPENED = datetime(2026, 12, 2, 0, 55, tzinfo=UTC)
# Any date-like text: ISO ("2026-12-08 00:48"), numeric ("12/08/2026") or Django's English ("Dec. 2").
HAND_MADE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}|[ap]\.m\.|\b[A-Z][a-z]{2}\.\s\d")
ENGLISH_DATETIME = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}, \d{2}:\d{2}\b")


@pytest.fixture
def escalated(buyer, seller, store, staff):
    return dispute_in_state(
        status=Dispute.Status.ESCALATED, buyer=buyer, seller=seller, store=store, staff=staff, now=OPENED
    )


def _text(response) -> str:
    assert response.status_code == 200
    return " ".join(strip_tags(response.content.decode()).split())


def test_admin_queue_prints_every_date_column_alike(client, staff, escalated):
    client.force_login(staff)
    text = _text(client.get(reverse("admin:disputes_dispute_changelist")))
    assert "Dec 2, 2026, 00:55" in text  # opened (a date column Django prints)
    assert "Dec 12, 2026, 00:55" in text  # decision due (a column the portal builds), 7 days after escalation
    assert not HAND_MADE.search(text), HAND_MADE.search(text)


def test_admin_case_page_prints_every_date_alike(client, staff, escalated):
    client.force_login(staff)
    text = _text(client.get(reverse("admin:disputes_dispute_change", args=[escalated.pk])))
    assert "Dec 2, 2026, 00:55" in text
    assert "Dec 12, 2026, 00:55" in text
    assert not HAND_MADE.search(text), HAND_MADE.search(text)


def test_admin_queue_reads_in_the_staff_members_language(client, staff, escalated):
    staff.language = "pl"
    staff.save()
    client.force_login(staff)
    text = _text(client.get(reverse("admin:disputes_dispute_changelist")))
    assert "2 grudnia 2026, 00:55" in text
    assert "12 grudnia 2026, 00:55" in text
    assert not ENGLISH_DATETIME.search(text)


def test_restriction_names_its_dates_in_the_locale_format(store):
    restriction = StoreRestriction(store=store, started_at=OPENED, points_at_start=24)
    with translation.override("gu"):
        assert str(restriction) == f"{store.pk}: 2 ડિસેમ્બર 2026, 00:55 → …"


def test_late_escalation_message_ends_in_one_full_stop(buyer, store):
    dispute = open_dispute(buyer=buyer, store=store, now=OPENED)
    with pytest.raises(ValidationError) as refused:
        services.dispute_escalate(dispute_id=dispute.pk, actor=buyer, now=OPENED + 20 * DAY)
    (message,) = refused.value.messages
    assert message.endswith("automatically on Dec 18, 2026, 00:55.")
    assert ".." not in message
