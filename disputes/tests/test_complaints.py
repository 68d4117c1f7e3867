import itertools
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from disputes.models import Complaint, ComplaintEvent
from disputes.services import complaints
from disputes.services.complaints import COMPLAINT_TRANSITIONS
from disputes.tests.helpers import DAY, jpeg_upload
from portal.transitions import TransitionNotAllowed

C = Complaint.Status


@pytest.fixture
def complaint(buyer, now):
    return complaints.complaint_submit(author=buyer, subject="site", text="Search is broken", now=now)


def _bring_to(complaint, status, staff, now):
    if status in (C.IN_PROGRESS, C.ANSWERED):
        complaints.complaint_take(complaint_id=complaint.pk, staff=staff, now=now)
    if status == C.ANSWERED:
        complaints.complaint_answer(complaint_id=complaint.pk, staff=staff, answer="Fixed.", now=now)
    if status == C.CLOSED:
        complaints.complaint_close(complaint_id=complaint.pk, actor=staff, now=now)
    complaint.refresh_from_db()
    assert complaint.status == status


@pytest.mark.parametrize(("start", "to"), [(a, b) for a, b in itertools.product(C, C) if a != b])
def test_every_complaint_transition_is_allowed_or_refused_precisely(complaint, staff, now, start, to):
    from django.db import transaction

    _bring_to(complaint, start, staff, now)
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if to in COMPLAINT_TRANSITIONS[start]:
            complaints._move(locked, to=to, actor=staff, now=now)
        else:
            with pytest.raises(TransitionNotAllowed) as caught:
                complaints._move(locked, to=to, actor=staff, now=now)
            assert str(C(start).label) in caught.value.messages[0]
            assert str(C(to).label) in caught.value.messages[0]
    complaint.refresh_from_db()
    assert complaint.status == (to if to in COMPLAINT_TRANSITIONS[start] else start)
    assert ComplaintEvent.objects.filter(complaint=complaint).latest("pk").new_status == complaint.status


def test_complaint_form_with_references_and_attachment(client, buyer, store, now):
    from disputes.tests.helpers import shipped_order

    order = shipped_order(buyer=buyer, store=store, at=now)
    client.force_login(buyer)
    url = reverse("disputes:complaint_new") + f"?subject=seller&store={store.slug}"
    form = client.get(url).content.decode()
    assert store.slug in form
    response = client.post(
        reverse("disputes:complaint_new"),
        {
            "subject": "seller",
            "category": "coercion",
            "store": store.slug,
            "order": str(order.pk),
            "reference": "review 42",
            "text": "The seller offered money to change my review.",
            "photos": [jpeg_upload()],
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert (complaint.store, complaint.order, complaint.category) == (store, order, "coercion")
    assert complaint.first_response_due_at == complaint.created_at + 2 * DAY
    assert complaint.photos.count() == 1
    page = client.get(reverse("disputes:complaint_detail", args=[complaint.pk])).content.decode()
    assert re.search(
        r"<span data-clock=\"[^\"]+\"[^>]*>The platform will answer within (2 days|1 day 23 hours)\.", page
    )


def test_unknown_store_keeps_the_typed_text(client, buyer):
    client.force_login(buyer)
    response = client.post(
        reverse("disputes:complaint_new"),
        {"subject": "seller", "category": "fraud", "store": "no-such-store", "text": "Fake tracking numbers"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "No store has the address name" in body
    assert "Fake tracking numbers" in body


def test_author_rates_the_answer_once(client, buyer, staff, complaint, now):
    client.force_login(buyer)
    early = client.post(reverse("disputes:complaint_rate", args=[complaint.pk]), {"rating": "4"})
    assert early.status_code == 400
    assert "no answer to rate" in early.content.decode()
    complaints.complaint_answer(complaint_id=complaint.pk, staff=staff, answer="Fixed.", now=now)
    assert client.post(reverse("disputes:complaint_rate", args=[complaint.pk]), {"rating": "4"}).status_code == 302
    with pytest.raises(ValidationError, match="already rated"):
        complaints.complaint_rate(complaint_id=complaint.pk, author=buyer, rating=5, now=now)
    complaint.refresh_from_db()
    assert complaint.rating == 4


def test_follow_up_reopens_and_close(client, buyer, staff, complaint, now):
    complaints.complaint_answer(complaint_id=complaint.pk, staff=staff, answer="Try again.", now=now)
    client.force_login(buyer)
    assert (
        client.post(reverse("disputes:complaint_follow_up", args=[complaint.pk]), {"text": "Still broken"}).status_code
        == 302
    )
    complaint.refresh_from_db()
    assert complaint.status == C.IN_PROGRESS
    assert client.post(reverse("disputes:complaint_close", args=[complaint.pk])).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == C.CLOSED
    assert "Still broken" in client.get(reverse("disputes:complaint_detail", args=[complaint.pk])).content.decode()


def test_complaint_list(client, buyer, complaint):
    client.force_login(buyer)
    assert f"#{complaint.pk}" in client.get(reverse("disputes:complaints")).content.decode()
