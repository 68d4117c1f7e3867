"""HTTP for notifications and e-mail preferences."""

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from messaging import selectors, services
from messaging.forms import NotificationFilterForm, PreferencesForm
from messaging.models import Notification
from messaging.views.common import centre_context, login_required_live
from portal.http import object_view
from portal.http import request_user as _user
from portal.notify import NOTIFICATION_TOPICS

# --- Notifications and preferences ------------------------------------------------------------


@login_required_live
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = NotificationFilterForm(request.GET, topics=selectors.notification_topics(user=user))
    topic = form.value("topic") or ""
    page_size = 30
    page = selectors.notifications_page(user=user, before_id=form.value("before"), topic=topic, page_size=page_size)
    items = [
        {"notification": n, "title": n.title(user.language), "body": n.body(user.language), "link": n.link()}
        for n in page
    ]
    # The next page keeps the filter: only the cursor changes.
    older = QueryDict(mutable=True)
    if topic:
        older["topic"] = topic
    if len(page) == page_size:
        older["before"] = str(page[-1].pk)
    return render(
        request,
        "messaging/notifications.html",
        {
            **centre_context(request, "notifications"),
            "items": items,
            "filter_form": form,
            "topic": topic,
            "older_query": older.urlencode() if len(page) == page_size else "",
        },
    )


@login_required_live
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=_user(request), now=timezone.now())
    return redirect("messaging:notifications")


def _notification_for_recipient(request: HttpRequest, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=_user(request)).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


@login_required_live
@object_view(load=_notification_for_recipient, methods=["POST"])
def notification_read(request: HttpRequest, notification: Notification, notification_id: int) -> HttpResponse:
    user = _user(request)
    services.notifications_mark_read(user=user, notification_ids=[notification.pk], now=timezone.now())
    target = notification.link()
    if request.POST.get("open") and target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    back = reverse("messaging:notifications")
    topic = request.POST.get("topic", "")
    if topic in NOTIFICATION_TOPICS:  # back to the filtered list the reader was on
        back += "?" + urlencode({"topic": topic})
    return redirect(back)


@login_required_live
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = selectors.preferences_for(user=user)
    form = PreferencesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.preferences_update(
            user=user,
            email_messages=form.cleaned_data["email_messages"],
            email_notifications=form.cleaned_data["email_notifications"],
            sms_notifications=form.cleaned_data["sms_notifications"],
        )
        flash.success(request, _("Your message settings were saved."))
        return redirect("messaging:preferences")
    return render(request, "messaging/preferences.html", {**centre_context(request, "preferences"), "form": form})
