"""What each admin page allows a superuser, pinned: read-only pages share one mixin, and
moving a page to it (or changing the mixin) must not widen or narrow what staff can do."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from portal.admin_mixins import ReadOnlyAdminMixin
from portal.models import User

# (add, change, delete) for the page; for an inline (add, change, rows deletable).
EXPECTED = {
    "disputes.Complaint": (False, True, False),
    "disputes.Dispute": (False, True, False),
    "disputes.EvidenceAccess": (False, False, False),
    "disputes.PenaltyEntry": (False, False, False),
    "disputes.StorePenaltyStanding": (False, False, False),
    "disputes.StoreRestriction": (False, False, False),
    "feedback.FeedbackWindow": (False, True, False),
    "feedback.ItemReview": (False, True, False),
    "feedback.ItemReview/ReportInline": (False, True, False),
    "feedback.ItemReview/DecisionInline": (False, True, False),
    "feedback.ReviewReport": (False, False, False),
    "feedback.SellerRating": (False, True, False),
    "feedback.StoreScoreDay": (False, True, False),
    "messaging.Block": (False, False, False),
    "messaging.Conversation": (False, False, False),
    "messaging.Message": (False, False, False),
    "messaging.MessageReport": (False, True, False),
    "messaging.Notification": (False, False, False),
    "portal.Order": (True, True, True),
    "portal.Order/OrderItemInline": (True, False, False),
    "portal.Order/OrderEventInline": (False, True, False),
    "portal.Photo": (True, True, True),
    "portal.Store/DeliveryTimeInline": (False, False, False),
    "trust.Case": (False, True, False),
    "trust.Case/CaseDecisionInline": (False, True, False),
    "trust.PhraseList": (True, True, True),
    "trust.PhraseList/PhraseInline": (True, True, True),
    "trust.TextCheck": (False, False, False),
    "portal.WeeklySummary": (False, False, False),
    # Versions of the rules are added through `rules_publish` (with `portal.publish_rules`), never edited.
    "portal.RuleSet": (True, False, False),
}


def _superuser_request():
    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


def _allowed():
    request = _superuser_request()
    allowed = {}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"portal", "feedback", "messaging", "disputes", "trust"}:
            continue
        label = model._meta.label
        allowed[label] = (
            model_admin.has_add_permission(request),
            model_admin.has_change_permission(request),
            model_admin.has_delete_permission(request),
        )
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            allowed[f"{label}/{inline_class.__name__}"] = (
                inline.has_add_permission(request, None),
                inline.has_change_permission(request, None),
                bool(inline.can_delete and inline.has_delete_permission(request, None)),
            )
    return allowed


def test_each_admin_page_allows_what_it_did():
    allowed = _allowed()
    assert {key: allowed[key] for key in EXPECTED} == EXPECTED


@pytest.mark.parametrize("change_allowed", [False, True])
def test_the_mixin_refuses_add_and_delete_and_change_unless_allowed(change_allowed):
    class Page(ReadOnlyAdminMixin, admin.ModelAdmin):
        """An admin page with nothing of its own but the mixin."""

    Page.change_allowed = change_allowed
    page = Page(User, admin.site)
    request = _superuser_request()
    assert page.has_add_permission(request) is False
    assert page.has_delete_permission(request) is False
    assert page.has_change_permission(request) is change_allowed
    request.user = AnonymousUser()
    assert page.has_change_permission(request) is False
