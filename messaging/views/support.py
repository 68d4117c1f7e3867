"""HTTP for the support chat: the support inbox and starting a chat with the platform."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from messaging import selectors, services
from messaging.forms import SupportStartForm
from messaging.hours import support_availability
from messaging.models import Conversation, Side, SupportTopic
from messaging.views.common import (
    centre_context,
    login_required_live,
    rate_limited,
)
from messaging.views.inbox import inbox_response
from portal.form_errors import add_service_error
from portal.http import HtmxHttpRequest, object_view
from portal.http import request_user as _user
from portal.models import User


def _support_agent(request: HttpRequest) -> User:
    # The support inbox is not there for anyone else, whatever the method.
    if not selectors.user_is_support_agent(request.user):
        raise Http404("No such page.")
    return _user(request)


@login_required_live
@object_view(load=_support_agent, methods=["GET", "HEAD"])
def support_inbox(request: HtmxHttpRequest, agent: User) -> HttpResponse:
    status = request.GET.get("status", Conversation.Status.OPEN)
    if status not in Conversation.Status.values:
        status = Conversation.Status.OPEN
    topic = request.GET.get("topic", "")
    if topic not in SupportTopic.values:
        topic = ""
    return inbox_response(
        request,
        conversations=selectors.support_conversations(status=status, topic=topic),
        side=Side.STORE,
        tab="support",
        extra={
            "support_status": status,
            "support_topic": topic,
            "support_topics": SupportTopic.choices,
            "inbox_url": reverse("messaging:support_inbox"),
        },
    )


@login_required_live
@require_http_methods(["GET", "POST"])
def support_start(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    existing = Conversation.objects.filter(
        kind=Conversation.Kind.SUPPORT, buyer=user, status=Conversation.Status.OPEN
    ).first()
    form = SupportStartForm(request.POST or None, request.FILES or None, topic_required=existing is None)
    status = 200
    if request.method == "POST":
        now = timezone.now()
        if rate_limited(form, user=user, starts_conversation=existing is None, now=now):
            status = 429
        elif form.is_valid():
            try:
                message, _created = services.support_chat_write(
                    user=user,
                    text=form.cleaned_data["text"],
                    topic=form.cleaned_data.get("topic", ""),
                    photos=form.cleaned_data["photos"],
                    now=now,
                )
            except ValidationError as error:
                add_service_error(form, error)
                status = 400
            else:
                return redirect("messaging:thread", conversation_id=message.conversation_id)
        else:
            status = 400
    return render(
        request,
        "messaging/support_start.html",
        {
            **centre_context(request, "support_start"),
            "form": form,
            "existing": existing,
            "support": support_availability(now=timezone.now()),
        },
        status=status,
    )
