"""Reviews, star ratings and store scores (SPEC §3).

A `FeedbackWindow` per completed order holds every clock of that order's feedback, copied
from the settings at completion (an order is judged by the rules in force when it
completed). Buyer and seller content stays sealed (`published_at` null) until both sides
have rated or the window closes; every public read filters on `published_at` and
`removed_at`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from portal.models import Order, OrderItem, Photo, Product, Store

STARS_RANGE = Q(stars__gte=1) & Q(stars__lte=5)
# What readers see in place of a text a moderator removed (the text stays for staff).
REMOVED_PLACEHOLDER = _("Removed by moderation")


def _text_max(field: str = "text") -> LessThanOrEqual:
    return LessThanOrEqual(Length(field), 1000)


def _detail_range(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | (Q(**{f"{field}__gte": 1}) & Q(**{f"{field}__lte": 5}))


class FeedbackWindow(models.Model):
    """The mutual-feedback window of one completed order, with its clocks."""

    class State(models.TextChoices):
        PENDING = "pending", _("Sealed")
        PUBLISHED = "published", _("Published")

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="feedback_window", verbose_name=_("order")
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="feedback_windows", verbose_name=_("store"))
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_windows", verbose_name=_("buyer")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    completed_at = models.DateTimeField(_("order completed"))
    closes_at = models.DateTimeField(_("window closes"))
    reminder_due_at = models.DateTimeField(verbose_name=_("reminder due"))
    reminded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reminded"))
    additional_until = models.DateTimeField(_("additional review until"))
    # Rules copied at completion, so that changing a setting never rewrites an order's past.
    automatic_stars = models.PositiveSmallIntegerField(default=4, verbose_name=_("automatic stars"))
    revision_request_days = models.PositiveSmallIntegerField(default=30, verbose_name=_("revision request days"))
    revision_answer_days = models.PositiveSmallIntegerField(default=10, verbose_name=_("revision answer days"))
    report_days = models.PositiveSmallIntegerField(default=30, verbose_name=_("report days"))
    # The version of the rules (`portal.rules`) in force at completion, which every clock above copied.
    rules_version = models.PositiveIntegerField(_("rules version"), null=True, blank=True)
    buyer_rated_at = models.DateTimeField(_("buyer rated"), null=True, blank=True)
    seller_rated_at = models.DateTimeField(_("seller rated"), null=True, blank=True)
    extra_invited_at = models.DateTimeField(_("extra invitation sent"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("feedback window")
        verbose_name_plural = _("feedback windows")
        indexes = [
            # The close sweep and the reminder sweep only ever read pending windows.
            models.Index(fields=["closes_at"], name="fbwindow_pending_due", condition=Q(state="pending")),
            models.Index(
                fields=["reminder_due_at"],
                name="fbwindow_reminder_due",
                condition=Q(state="pending", reminded_at__isnull=True, buyer_rated_at__isnull=True),
            ),
            models.Index(fields=["buyer", "-completed_at"], name="fbwindow_buyer_recent"),
            models.Index(
                fields=["store", "closes_at"],
                name="fbwindow_seller_to_give",
                condition=Q(state="pending", seller_rated_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False), name="fbwindow_published_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.state})"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING


class ItemReview(models.Model):
    """The buyer's stars (and words and photos) for one order item; automatic when the system left it."""

    class ScoreRole(models.TextChoices):
        NONE = "", _("Not published")
        COUNTED = "counted", _("Counted")
        MERGED = "merged", _("Merged with the same buyer's earlier rating")
        REMOVED = "removed", _("Removed by moderation")

    window = models.ForeignKey(
        FeedbackWindow, on_delete=models.CASCADE, related_name="item_reviews", verbose_name=_("window")
    )
    order_item = models.OneToOneField(
        OrderItem, on_delete=models.CASCADE, related_name="review", verbose_name=_("order item")
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("product"))
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="item_reviews", verbose_name=_("store"))
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="item_reviews", verbose_name=_("buyer")
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    text = models.TextField(_("review"), max_length=1000, blank=True)
    photos = models.ManyToManyField(Photo, blank=True, related_name="item_reviews")
    photo_count = models.PositiveSmallIntegerField(default=0, verbose_name=_("photos"))
    is_automatic = models.BooleanField(_("automatic rating"), default=False)
    created_at = models.DateTimeField(_("submitted"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    has_additional = models.BooleanField(default=False, verbose_name=_("with additional review"))
    has_reply = models.BooleanField(default=False, verbose_name=_("with reply"))
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    original_stars = models.PositiveSmallIntegerField(_("stars before revision"), null=True, blank=True)
    revised_at = models.DateTimeField(_("revised"), null=True, blank=True)
    revision_note = models.TextField(_("revision note"), max_length=1000, blank=True)
    score_role = models.CharField(
        max_length=8, choices=ScoreRole.choices, default="", blank=True, verbose_name=_("role in the score")
    )
    # The first hex characters of the SHA-256 of what the buyer submitted (`feedback.receipts`):
    # shown to them while sealed, checkable by anyone after publication. Empty before it existed.
    receipt = models.CharField(
        max_length=12, blank=True, default="", db_default="", db_index=True, verbose_name=_("receipt")
    )
    # How many signed-in people marked the review helpful: kept by `review_mark_helpful` with an
    # F() update, so that a list never counts votes when it renders.
    helpful_count = models.PositiveIntegerField(default=0, db_default=0, verbose_name=_("helpful votes"))

    # Set by the review-list selectors: the order's additional review, when it has one.
    additional: "AdditionalReview | None" = None

    class Meta:
        verbose_name = _("item review")
        verbose_name_plural = _("item reviews")
        permissions = [("moderate_review", "Can keep or remove reported reviews")]
        indexes = [
            # Keyset pages of the product and store pages: newest first, public reviews only.
            models.Index(
                fields=["product", "-published_at", "-id"],
                name="review_product_feed",
                condition=Q(published_at__isnull=False, removed_at__isnull=True),
            ),
            models.Index(
                fields=["product", "stars", "-published_at", "-id"],
                name="review_product_stars",
                condition=Q(published_at__isnull=False, removed_at__isnull=True),
            ),
            models.Index(
                fields=["store", "-published_at", "-id"],
                name="review_store_feed",
                condition=Q(published_at__isnull=False, removed_at__isnull=True),
            ),
            # Sorting the store's reviews by stars reads each star value newest first (the
            # product has `review_product_stars`).
            models.Index(
                fields=["store", "stars", "-published_at", "-id"],
                name="review_store_stars",
                condition=Q(published_at__isnull=False, removed_at__isnull=True),
            ),
            # Reviews with photos, newest first: the photos sort and filter, the photo strip.
            models.Index(
                fields=["product", "-published_at", "-id"],
                name="review_product_photos",
                condition=Q(published_at__isnull=False, removed_at__isnull=True, photo_count__gt=0),
            ),
            models.Index(
                fields=["store", "-published_at", "-id"],
                name="review_store_photos",
                condition=Q(published_at__isnull=False, removed_at__isnull=True, photo_count__gt=0),
            ),
            # Automatic ratings are counted (capped) for the one line that stands for them, and
            # listed on request, apart from the written reviews.
            models.Index(
                fields=["product", "-published_at", "-id"],
                name="review_product_automatic",
                condition=Q(published_at__isnull=False, removed_at__isnull=True, is_automatic=True),
            ),
            models.Index(
                fields=["store", "-published_at", "-id"],
                name="review_store_automatic",
                condition=Q(published_at__isnull=False, removed_at__isnull=True, is_automatic=True),
            ),
            # The same-buyer merge rule walks one buyer's ratings of one store in time order.
            models.Index(
                fields=["store", "buyer", "published_at", "id"],
                name="review_store_buyer_chain",
                condition=Q(published_at__isnull=False),
            ),
            # The score's exact 180-day edge reads the removed ratings of one day.
            models.Index(
                fields=["store", "published_at"],
                name="review_store_removed",
                condition=Q(published_at__isnull=False, removed_at__isnull=False),
            ),
            # "Most helpful" first, newest among equals.
            models.Index(
                fields=["product", "-helpful_count", "-published_at", "-id"],
                name="review_product_helpful",
                condition=Q(published_at__isnull=False, removed_at__isnull=True),
            ),
            models.Index(
                fields=["store", "-helpful_count", "-published_at", "-id"],
                name="review_store_helpful",
                condition=Q(published_at__isnull=False, removed_at__isnull=True),
            ),
            models.Index(
                fields=["store", "-published_at"],
                name="review_awaiting_reply",
                condition=Q(published_at__isnull=False, removed_at__isnull=True, has_reply=False, is_automatic=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=STARS_RANGE, name="review_stars_1_to_5"),
            models.CheckConstraint(condition=_text_max(), name="review_text_max_1000"),
            models.CheckConstraint(condition=~Q(is_automatic=True) | Q(text=""), name="review_automatic_has_no_text"),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ on {self.order_item_id}"

    @property
    def is_public(self) -> bool:
        return self.published_at is not None and self.removed_at is None


class HelpfulVote(models.Model):
    """One signed-in person found a review helpful; one vote per person and review."""

    review = models.ForeignKey(
        ItemReview, on_delete=models.CASCADE, related_name="helpful_votes", verbose_name=_("review")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("voter")
    )
    created_at = models.DateTimeField(verbose_name=_("created"))

    class Meta:
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [models.UniqueConstraint(fields=["review", "voter"], name="helpful_vote_once")]

    def __str__(self) -> str:
        return f"{self.voter_id} → {self.review_id}"


class StoreRating(models.Model):
    """The buyer's three detailed ratings of the store for one order: anonymous, each optional."""

    window = models.OneToOneField(
        FeedbackWindow, on_delete=models.CASCADE, related_name="store_rating", verbose_name=_("window")
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="detailed_ratings", verbose_name=_("store"))
    as_described = models.PositiveSmallIntegerField(_("item as described"), null=True, blank=True)
    communication = models.PositiveSmallIntegerField(_("communication"), null=True, blank=True)
    shipping = models.PositiveSmallIntegerField(_("shipping speed"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created"))
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published"))

    class Meta:
        verbose_name = _("detailed store rating")
        verbose_name_plural = _("detailed store ratings")
        # The score's exact 180-day edge reads one day of published detailed ratings.
        indexes = [
            models.Index(
                fields=["store", "published_at"], name="storerating_published", condition=Q(published_at__isnull=False)
            )
        ]
        constraints = [
            models.CheckConstraint(condition=_detail_range("as_described"), name="storerating_described_1_to_5"),
            models.CheckConstraint(condition=_detail_range("communication"), name="storerating_comm_1_to_5"),
            models.CheckConstraint(condition=_detail_range("shipping"), name="storerating_shipping_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.as_described}/{self.communication}/{self.shipping}"


class SellerRating(models.Model):
    """The seller's stars for the buyer of one order."""

    window = models.OneToOneField(
        FeedbackWindow, on_delete=models.CASCADE, related_name="seller_rating", verbose_name=_("window")
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="buyer_ratings", verbose_name=_("store"))
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings_received", verbose_name=_("buyer")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    text = models.TextField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created"))
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published"))
    # Removed by a moderator (a trust case): hidden from readers, no longer counted, never deleted.
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating of a buyer")
        verbose_name_plural = _("ratings of buyers")
        constraints = [
            models.CheckConstraint(condition=STARS_RANGE, name="sellerrating_stars_1_to_5"),
            models.CheckConstraint(condition=_text_max(), name="sellerrating_text_max_1000"),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ for {self.buyer_id}"

    @property
    def shown_text(self) -> str:
        """The text as readers see it: a neutral placeholder once moderation removed it."""
        return str(REMOVED_PLACEHOLDER) if self.removed_at is not None else self.text


class AdditionalReview(models.Model):
    """The buyer's one follow-up for an order, after publication: words and photos, no stars."""

    window = models.OneToOneField(
        FeedbackWindow, on_delete=models.CASCADE, related_name="additional_review", verbose_name=_("window")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="additional_reviews", verbose_name=_("store")
    )
    text = models.TextField(_("additional review"), max_length=1000)
    photos = models.ManyToManyField(Photo, blank=True, related_name="additional_reviews")
    created_at = models.DateTimeField(verbose_name=_("created"))
    has_reply = models.BooleanField(default=False, verbose_name=_("with reply"))
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("additional review")
        verbose_name_plural = _("additional reviews")
        constraints = [
            models.CheckConstraint(condition=_text_max(), name="additional_text_max_1000"),
        ]

    def __str__(self) -> str:
        return f"Additional review of {self.window_id}"

    @property
    def shown_text(self) -> str:
        """The text as readers see it: a neutral placeholder once moderation removed it."""
        return str(REMOVED_PLACEHOLDER) if self.removed_at is not None else self.text


class SellerReply(models.Model):
    """One public reply of the store to a review or to an additional review; never editable."""

    item_review = models.OneToOneField(
        ItemReview, on_delete=models.CASCADE, null=True, blank=True, related_name="reply", verbose_name=_("item review")
    )
    additional_review = models.OneToOneField(
        AdditionalReview,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reply",
        verbose_name=_("additional review"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("reply"), max_length=1000)
    created_at = models.DateTimeField(verbose_name=_("created"))
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("seller reply")
        verbose_name_plural = _("seller replies")
        constraints = [
            models.CheckConstraint(
                condition=Q(item_review__isnull=False, additional_review__isnull=True)
                | Q(item_review__isnull=True, additional_review__isnull=False),
                name="reply_has_exactly_one_target",
            ),
            models.CheckConstraint(condition=_text_max(), name="reply_text_max_1000"),
        ]

    def __str__(self) -> str:
        return f"Reply {self.pk}"

    @property
    def shown_text(self) -> str:
        """The text as readers see it: a neutral placeholder once moderation removed it."""
        return str(REMOVED_PLACEHOLDER) if self.removed_at is not None else self.text


class RevisionRequest(models.Model):
    """The seller's one request that the buyer reconsider a review's stars (raise only)."""

    review = models.OneToOneField(
        ItemReview, on_delete=models.CASCADE, related_name="revision_request", verbose_name=_("review")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(verbose_name=_("requested"))
    answer_due_at = models.DateTimeField(verbose_name=_("answer due"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered"))
    old_stars = models.PositiveSmallIntegerField(verbose_name=_("stars before"))
    new_stars = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("stars after"))

    class Meta:
        verbose_name = _("revision request")
        verbose_name_plural = _("revision requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(new_stars__isnull=True) | Q(new_stars__gte=models.F("old_stars")),
                name="revision_never_lowers",
            ),
        ]

    def __str__(self) -> str:
        return f"Revision of {self.review_id}"


class ReviewReport(models.Model):
    """One report of one review by one reporter, waiting for a moderator's decision."""

    class Reason(models.TextChoices):
        UNRELATED = "unrelated", _("Unrelated to the item")
        OFFENSIVE = "offensive", _("Offensive language or personal data")
        COMPETITOR = "competitor", _("Posted by a competitor")
        EXTORTION = "extortion", _("Used to extort extra benefits")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        KEPT = "kept", _("Kept")
        REMOVED = "removed", _("Removed")

    review = models.ForeignKey(ItemReview, on_delete=models.CASCADE, related_name="reports", verbose_name=_("review"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("reporter")
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    details = models.TextField(_("details"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("reported"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided"))

    class Meta:
        verbose_name = _("review report")
        verbose_name_plural = _("review reports")
        constraints = [models.UniqueConstraint(fields=["review", "reporter"], name="report_once_per_reporter")]
        indexes = [models.Index(fields=["created_at"], name="report_open_queue", condition=Q(status="open"))]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.status})"


class ModerationDecision(models.Model):
    """The audit row of every keep/remove decision on a review."""

    class Decision(models.TextChoices):
        KEEP = "keep", _("Keep")
        REMOVE = "remove", _("Remove")

    review = models.ForeignKey(ItemReview, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("review"))
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("moderator")
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created"))

    class Meta:
        verbose_name = _("moderation decision")
        verbose_name_plural = _("moderation decisions")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.decision} {self.review_id}"


class StoreScoreDay(models.Model):
    """One store's published buyer ratings of one UTC day, as the score counts them.

    `positive`/`neutral`/`negative` count the ratings that counted (rule in docs/feedback.md);
    `merged` the ones folded into the same buyer's earlier rating; `removed` the ones
    moderation removed. Detailed-rating sums are kept with their counts.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="score_days", verbose_name=_("store"))
    day = models.DateField(verbose_name=_("day"))
    positive = models.IntegerField(default=0, verbose_name=_("positive"))
    neutral = models.IntegerField(default=0, verbose_name=_("neutral"))
    negative = models.IntegerField(default=0, verbose_name=_("negative"))
    merged = models.IntegerField(default=0, verbose_name=_("merged"))
    removed = models.IntegerField(default=0, verbose_name=_("removed"))
    described_sum = models.IntegerField(default=0, verbose_name=_("item as described: stars"))
    described_n = models.IntegerField(default=0, verbose_name=_("item as described: ratings"))
    communication_sum = models.IntegerField(default=0, verbose_name=_("communication: stars"))
    communication_n = models.IntegerField(default=0, verbose_name=_("communication: ratings"))
    shipping_sum = models.IntegerField(default=0, verbose_name=_("shipping speed: stars"))
    shipping_n = models.IntegerField(default=0, verbose_name=_("shipping speed: ratings"))

    class Meta:
        verbose_name = _("store score day")
        verbose_name_plural = _("store score days")
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="score_day_unique")]
        # The burst check (trust) reads one day of every store.
        indexes = [models.Index(fields=["day"], name="score_day_by_day")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}"


BUCKET_FIELDS = (
    "positive",
    "neutral",
    "negative",
    "merged",
    "removed",
    "described_sum",
    "described_n",
    "communication_sum",
    "communication_n",
    "shipping_sum",
    "shipping_n",
)


class ProductStarCount(models.Model):
    """How many public (published, not removed) reviews a product has with each number of stars.

    Kept with the score buckets, in the same transactions, so the product page's average and
    distribution cost one small read at any number of reviews; the nightly recount checks it.
    """

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="star_counts", verbose_name=_("product")
    )
    stars = models.PositiveSmallIntegerField(verbose_name=_("stars"))
    count = models.IntegerField(default=0, verbose_name=_("count"))

    class Meta:
        verbose_name = _("product star count")
        verbose_name_plural = _("product star counts")
        constraints = [models.UniqueConstraint(fields=["product", "stars"], name="product_star_count_unique")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.stars}★ × {self.count}"
