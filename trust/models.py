"""Trust signals (SPEC §9): abuse the system notices, and the moderators' cases for it.

Texts people write and the ratings and reports that may be retaliation are queued as
`TextCheck` rows in the transaction that writes them (`portal.integrity`); the worker checks
them after commit against the staff's `PhraseList`s, and the burst sweep reads the score
buckets. What it finds is a `Case` in the moderators' queue; nothing is ever blocked.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.integrity import SOURCES
from portal.models import Store


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    POLISH = "pl", _("Polish")
    CHINESE = "zh", _("Chinese")
    KOREAN = "ko", _("Korean")
    GUJARATI = "gu", _("Gujarati")


# Languages written without spaces between words (or whose words a boundary test cuts wrongly):
# a phrase is looked for anywhere in the normalised text.
SUBSTRING_LANGUAGES = frozenset({Language.CHINESE, Language.KOREAN, Language.GUJARATI})


class Source(models.TextChoices):
    MESSAGE = "message", _("Message")
    REPLY = "reply", _("Reply to a review")
    ADDITIONAL_REVIEW = "additional_review", _("Additional review")
    DISPUTE_MESSAGE = "dispute_message", _("Dispute thread message")
    SELLER_RATING = "seller_rating", _("Seller's rating of a buyer")
    REVIEW_REPORT = "review_report", _("Seller's report of a review")
    STORE_DAY = "store_day", _("Store's ratings of one day")


assert set(SOURCES) <= set(Source.values)


class PhraseList(models.Model):
    """One language's phrases, with the examples each save is checked against."""

    language = models.CharField(_("language"), max_length=2, choices=Language.choices, unique=True)
    must_match = models.TextField(
        _("examples that must match"),
        help_text=_("One example per line; each must match at least one phrase of this list."),
    )
    must_not_match = models.TextField(
        _("examples that must not match"),
        help_text=_("One example per line (near misses); none may match any phrase of this list."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("phrase list")
        verbose_name_plural = _("phrase lists")
        ordering = ("language",)

    def __str__(self) -> str:
        return self.get_language_display()


class Phrase(models.Model):
    class Kind(models.TextChoices):
        INCENTIVE = "incentive", _("Offer tied to a rating")
        THREAT = "threat", _("Threat")

    phrase_list = models.ForeignKey(
        PhraseList, on_delete=models.CASCADE, related_name="phrases", verbose_name=_("phrase list")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    pattern = models.CharField(
        _("pattern"),
        max_length=300,
        help_text=_(
            "Words as written, or a regular expression: \\w* for any ending, (a|b) for alternatives, "
            ".{0,30} for up to 30 characters between words. Letter case does not matter."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("phrase")
        verbose_name_plural = _("phrases")
        constraints = [models.UniqueConstraint(fields=["phrase_list", "pattern"], name="phrase_unique_in_list")]

    def __str__(self) -> str:
        return self.pattern


class TextCheck(models.Model):
    """A text, rating or report waiting for the signals worker; written with it, in its transaction."""

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    source_id = models.BigIntegerField(_("source id"))
    created_at = models.DateTimeField(_("written"))
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending check")
        verbose_name_plural = _("pending checks")
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="textcheck_once_per_source")]
        # The worker reads only rows still waiting, oldest first.
        indexes = [models.Index(fields=["created_at", "id"], name="textcheck_pending", condition=Q(checked_at=None))]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id}"


class Case(models.Model):
    """One signal for moderators: what was noticed, the evidence, and the decision."""

    class Kind(models.TextChoices):
        INCENTIVE = "incentive", _("Offer tied to a rating")
        THREAT = "threat", _("Threat")
        RETALIATION = "retaliation", _("Retaliation after a dispute")
        REPORT_AFTER_DISPUTE = "report_after_dispute", _("Report of a disputing buyer's review")
        BURST = "burst", _("Burst of ratings")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        WARNED = "warned", _("Warned")
        REMOVED = "removed", _("Content removed")
        PENALISED = "penalised", _("Penalty points added")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    source_id = models.BigIntegerField(_("source id"))
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("store")
    )
    # Who wrote the text or gave the rating, and the other party (the buyer, or the store's owner).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    counterpart = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("other party"),
    )
    phrase = models.ForeignKey(
        Phrase, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases", verbose_name=_("phrase")
    )
    # Copies, so the evidence stays as it was when the phrase list or the text changes.
    pattern = models.CharField(_("pattern"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True)
    text = models.TextField(_("text"), blank=True)
    match_start = models.PositiveIntegerField(_("match starts"), null=True, blank=True)
    match_end = models.PositiveIntegerField(_("match ends"), null=True, blank=True)
    day = models.DateField(_("day"), null=True, blank=True)
    # Facts as kinds and values (the timeline, a burst's counts), rendered at display time.
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    created_at = models.DateTimeField(_("opened"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("trust case")
        verbose_name_plural = _("trust cases")
        permissions = [("decide_case", "Can decide trust signal cases")]
        constraints = [
            # A re-run of a check can never file the same finding twice.
            models.UniqueConstraint(
                fields=["source", "source_id", "pattern"],
                condition=Q(kind__in=["incentive", "threat"]),
                name="case_once_per_text_phrase",
            ),
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=Q(kind__in=["retaliation", "report_after_dispute"]),
                name="case_once_per_rating_or_report",
            ),
            models.UniqueConstraint(fields=["store", "day"], condition=Q(kind="burst"), name="case_burst_once_a_day"),
        ]
        indexes = [models.Index(fields=["kind", "-created_at"], name="case_open_queue", condition=Q(status="open"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"


class CaseDecision(models.Model):
    """The audit row of every decision on a case."""

    class Decision(models.TextChoices):
        DISMISS = "dismiss", _("Dismiss")
        WARN = "warn", _("Warn")
        REMOVE = "remove", _("Remove the content")
        PENALISE = "penalise", _("Add penalty points")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("case"))
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("moderator")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    points = models.PositiveSmallIntegerField(_("points"), null=True, blank=True)
    created_at = models.DateTimeField(_("decided"))

    class Meta:
        verbose_name = _("case decision")
        verbose_name_plural = _("case decisions")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.decision} #{self.case_id}"
