"""Answering support and moderating messages are permissions, not group names."""

from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import Conversation, MessageReport, Side
from messaging.tests.conftest import reply
from portal.tests.factories import UserFactory


def _permission(codename):
    return Permission.objects.get(content_type__app_label="messaging", codename=codename)


def _support_chat(client, buyer):
    client.force_login(buyer)
    client.post(reverse("messaging:support_start"), {"topic": "payments", "text": "I was charged twice"})
    return Conversation.objects.get(kind="support")


def test_a_renamed_support_group_keeps_the_support_queue(client, buyer):
    conversation = _support_chat(client, buyer)
    group = Group.objects.get(name="Support agents")
    group.name = "Help desk"
    group.save()
    agent = UserFactory(email="desk@example.com", is_staff=True)
    agent.groups.add(group)
    client.force_login(agent)
    queue = client.get(reverse("messaging:support_inbox"))
    assert [c.pk for c in queue.context["page"].items] == [conversation.pk]
    assert client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "Refunded"}).status_code == 302
    assert conversation.messages.filter(side=Side.STORE, text="Refunded").exists()


def test_a_direct_grant_without_a_group_answers_support(client, buyer):
    conversation = _support_chat(client, buyer)
    agent = UserFactory(email="direct@example.com", is_staff=True)
    agent.user_permissions.add(_permission("answer_support"))
    client.force_login(agent)
    assert client.get(reverse("messaging:support_inbox")).status_code == 200
    assert client.post(reverse("messaging:send", args=[conversation.pk]), {"text": "Refunded"}).status_code == 302
    assert conversation.messages.filter(side=Side.STORE, text="Refunded").exists()


def test_staff_in_no_group_have_no_support_queue_and_cannot_resolve(client, buyer, conversation, seller):
    user = UserFactory(email="nogroup@example.com", is_staff=True)
    rude = reply(conversation, seller, "rude")
    report = services.message_report(
        message=rude, reporter=buyer, reporter_side=Side.BUYER, reason="abuse", note="", now=timezone.now()
    )
    client.force_login(user)
    assert client.get(reverse("messaging:support_inbox")).status_code == 404
    response = client.post(reverse("admin:messaging_messagereport_resolve", args=[report.pk]), {"decision": "upheld"})
    assert response.status_code == 403


def test_a_renamed_moderators_group_and_a_direct_grant_resolve_message_reports(client, buyer, conversation, seller):
    group = Group.objects.get(name="Moderators")
    group.name = "Trust and safety"
    group.save()
    in_group = UserFactory(email="tns@example.com", is_staff=True)
    in_group.groups.add(group)
    direct = UserFactory(email="direct@example.com", is_staff=True)
    direct.user_permissions.add(_permission("moderate_message"))
    for user, decision in ((in_group, "dismissed"), (direct, "upheld")):
        rude = reply(conversation, seller, f"rude to {decision}")
        report = services.message_report(
            message=rude, reporter=buyer, reporter_side=Side.BUYER, reason="abuse", note="", now=timezone.now()
        )
        client.force_login(user)
        url = reverse("admin:messaging_messagereport_resolve", args=[report.pk])
        assert client.post(url, {"decision": decision}).status_code == 302
        assert MessageReport.objects.get(pk=report.pk).status == decision


def test_a_grant_to_answer_support_counts_support_chats_in_the_bar_at_once(client, buyer):
    """The bar's statement is kept per user between pages, but never past a change of what it counts."""
    from portal.models import User
    from portal.navigation import nav_counts

    _support_chat(client, buyer)
    staff = UserFactory(email="soon-agent@example.com", is_staff=True)
    assert nav_counts(staff)["messages"] == 0
    staff.user_permissions.add(_permission("answer_support"))
    staff = User.objects.get(pk=staff.pk)  # the next request's user: permissions read afresh
    assert nav_counts(staff)["messages"] == 1
    staff.user_permissions.clear()
    assert nav_counts(User.objects.get(pk=staff.pk))["messages"] == 0
