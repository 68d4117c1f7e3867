"""The store-settings page of API keys: the owner creates (sees the key once), lists and revokes."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api import selectors, services
from api.forms import StoreKeyForm
from api.models import ApiKey
from api.scopes import STORE_SCOPES
from portal.http import request_user
from portal.selectors import store_get_for_member


def expiry(days: str, now: datetime) -> datetime | None:
    return now + timedelta(days=int(days)) if days else None


@never_cache  # the page that shows a new key must not be kept by any cache
@login_required
@require_http_methods(["GET", "POST"])
def store_keys(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_user(request)
    store = store_get_for_member(user=user, slug=slug, owner_only=True)
    form = StoreKeyForm(request.POST or None)
    issued = None
    if request.method == "POST":
        if form.is_valid():
            now = timezone.now()
            try:
                issued = services.api_key_issue(
                    kind=ApiKey.Kind.STORE,
                    store=store,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    actor=user,
                    now=now,
                    expires_at=expiry(form.cleaned_data["expires_in_days"], now),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                form = StoreKeyForm()
        if issued is None:
            messages.error(request, _("Please correct the errors below."))
    return render(
        request,
        "api/store_keys.html",
        {
            "store": store,
            "form": form,
            "issued": issued,
            "keys": selectors.api_keys_for_store(store=store),
            "scope_labels": STORE_SCOPES,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def store_key_revoke(request: HttpRequest, slug: str, key_id: int) -> HttpResponse:
    user = request_user(request)
    store = store_get_for_member(user=user, slug=slug, owner_only=True)
    key = selectors.api_keys_for_store(store=store).filter(pk=key_id).first()
    if key is None:
        raise Http404("No such key.")
    services.api_key_revoke(key_id=key.pk, actor=user, store=store, now=timezone.now())
    messages.success(request, _("Key %(prefix)s revoked.") % {"prefix": key.prefix})
    return redirect("api:store_keys", slug=store.slug)
