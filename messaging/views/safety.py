"""HTTP for keeping conversations safe: blocking a conversation and reporting a message."""

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging import selectors, services
from messaging.forms import ReportForm
from messaging.models import Message, Side
from messaging.selectors import ConversationAccess
from messaging.views.common import centre_context, conversation_for_writing, login_required_live
from messaging.views.conversations import decorate_messages
from portal.form_errors import add_service_error
from portal.http import object_view
from portal.http import request_user as _user


@login_required_live
@object_view(load=conversation_for_writing, methods=["POST"])
def block(request: HttpRequest, access: ConversationAccess, conversation_id: int) -> HttpResponse:
    user = _user(request)
    assert access.side is not None
    if access.conversation.is_support:
        raise Http404("Support chats cannot be blocked.")
    blocked = request.POST.get("action") != "unblock"
    services.block_set(
        conversation=access.conversation, side=access.side, actor=user, blocked=blocked, now=timezone.now()
    )
    if access.side == Side.BUYER:
        text = _("You blocked this store: it can no longer message you.") if blocked else _("You unblocked this store.")
    else:
        text = (
            _("You blocked this buyer: they can no longer message your store.")
            if blocked
            else _("You unblocked this buyer.")
        )
    flash.success(request, text)
    return redirect("messaging:thread", conversation_id=conversation_id)


def _message_for_user(request: HttpRequest, message_id: int) -> tuple[Message, ConversationAccess]:
    return selectors.message_get_for_user(user=request.user, message_id=message_id)


@login_required_live
@object_view(load=_message_for_user, methods=["GET", "POST"])
def report(
    request: HttpRequest, message_and_access: tuple[Message, ConversationAccess], message_id: int
) -> HttpResponse:
    user = _user(request)
    message, access = message_and_access
    assert access.side is not None
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_report(
                message=message,
                reporter=user,
                reporter_side=access.side,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            flash.success(request, _("Thank you. Our moderators will look at this message."))
            return redirect("messaging:thread", conversation_id=message.conversation_id)
    decorated = decorate_messages([message], access)[0]
    return render(
        request,
        "messaging/report.html",
        {**centre_context(request, "thread"), "form": form, "message": decorated, "access": access},
        status=400 if request.method == "POST" else 200,
    )
