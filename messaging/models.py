"""The message centre: notifications (system messages) now; conversations in their own module."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal.dates import format_moment
from portal.notify import NOTIFICATION_KINDS


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "—"


def _fill(template: str, params: dict[str, Any]) -> str:
    """Fill a notification text; a parameter the sender left out (or an older row) shows as a dash.

    One malformed row must never break the whole Notifications tab or its e-mail.
    """
    try:
        return template % _Params(params)
    except (TypeError, ValueError):
        return template


class Notification(models.Model):
    """A system message in the Notifications tab; its text is rendered in the reader's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=60)
    params = models.JSONField(default=dict, blank=True, verbose_name=_("parameters"))
    url = models.CharField(max_length=300, blank=True, verbose_name=_("address"))
    created_at = models.DateTimeField(_("sent"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mailed"))
    texted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("texted"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            # The tab's filter: the kinds a reader has, and one topic's page.
            models.Index(fields=["recipient", "kind", "-created_at", "-id"], name="notification_kind"),
            models.Index(fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)),
            # The retention sweep deletes the oldest read ones first.
            models.Index(fields=["read_at"], name="notification_read", condition=Q(read_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    def _render(self, attribute: str, language: str | None = None) -> str:
        kind = NOTIFICATION_KINDS.get(self.kind)
        if kind is None:
            return self.kind
        template: Any = getattr(kind, attribute) or kind.title
        if language:
            with translation.override(language):
                return _fill(str(template), kind.params_for_reader(self.params))
        return _fill(str(template), kind.params_for_reader(self.params))

    def title(self, language: str | None = None) -> str:
        return self._render("title", language)

    def link(self) -> str:
        """The page this notification opens, from its kind and the ids in its parameters.

        Rows written before their kind stored the ids it links by keep the address they
        were sent with (`url`); a row that has neither opens nothing.
        """
        kind = NOTIFICATION_KINDS.get(self.kind)
        if kind is not None and kind.link is not None:
            try:
                return kind.link(self.params)
            except (KeyError, TypeError, ValueError, NoReverseMatch):
                # Parameters from before the kind linked by ids: the stored address stands.
                return self.url
        return self.url

    @property
    def topic(self) -> str:
        kind = NOTIFICATION_KINDS.get(self.kind)
        return kind.topic if kind is not None else ""

    def body(self, language: str | None = None) -> str:
        kind = NOTIFICATION_KINDS.get(self.kind)
        if kind is not None and kind.render_body is not None:
            with translation.override(language or translation.get_language()):
                try:
                    return kind.render_body(self.params)
                except (KeyError, TypeError, ValueError):
                    # A malformed row reads as the kind's one-line text, never as an error page.
                    return _fill(str(kind.body), self.params)
        return self._render("body", language)

    def sms(self, language: str | None = None) -> str:
        """The text message: the kind's own SMS text, or its title."""
        return self._render("sms_text", language)


# --- Conversations ------------------------------------------------------------------------
#
# A conversation has two sides. The *buyer* side is one user. The *store* side is every
# member of the store (the buyer only ever sees the store's name), or, in a support chat, the
# staff who hold `messaging.answer_support`. Read state is kept per side on the conversation row as a
# stored unread counter plus the id of the last message read, so that the inbox and the
# navigation badge never count messages.


class Side(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    STORE = "store", _("Store")


class SupportTopic(models.TextChoices):
    """What a support chat is about: chosen when the chat opens, filtered on by support agents."""

    ORDERS = "orders", _("Orders and delivery")
    PAYMENTS = "payments", _("Payments and refunds")
    DISPUTES = "disputes", _("Disputes")
    ACCOUNT = "account", _("Account")
    REVIEWS = "reviews", _("Reviews")
    OTHER = "other", _("Other")


class Conversation(models.Model):
    class Kind(models.TextChoices):
        STORE = "store", _("Buyer and store")
        SUPPORT = "support", _("Support chat")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STORE)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("buyer")
    )
    store = models.ForeignKey(
        "portal.Store",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("store"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # Support chats only (empty for a store conversation).
    topic = models.CharField(_("topic"), max_length=10, choices=SupportTopic.choices, blank=True)
    created_at = models.DateTimeField(_("started"))
    last_message_at = models.DateTimeField(_("last activity"))
    last_message_preview = models.CharField(max_length=140, blank=True, verbose_name=_("last message"))
    last_message_side = models.CharField(
        max_length=10, choices=Side.choices, blank=True, verbose_name=_("last message from")
    )
    # The latest message a person wrote (the store's auto-reply left out): the store's team
    # reads this in its inbox, so the buyer's question is not hidden behind the store's own
    # "we are closed". The buyer's inbox shows the latest message of all, auto-reply included.
    last_human_preview = models.CharField(max_length=140, blank=True, verbose_name=_("last written message"))
    last_human_side = models.CharField(
        max_length=10, choices=Side.choices, blank=True, verbose_name=_("last written message from")
    )
    # The latest order and product a message referred to: the inbox filters and shows them.
    order = models.ForeignKey(
        "portal.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    product = models.ForeignKey(
        "portal.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    buyer_unread = models.PositiveIntegerField(default=0, verbose_name=_("buyer unread"))
    store_unread = models.PositiveIntegerField(default=0, verbose_name=_("store unread"))
    buyer_last_read_id = models.BigIntegerField(default=0, verbose_name=_("buyer's last read message"))
    store_last_read_id = models.BigIntegerField(default=0, verbose_name=_("store's last read message"))
    last_auto_reply_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last auto-reply"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("rated"))

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        permissions = [("answer_support", "Can answer support chats")]
        ordering = ("-last_message_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "store"], condition=Q(kind="store"), name="conversation_one_per_buyer_store"
            ),
            models.UniqueConstraint(
                fields=["buyer"], condition=Q(kind="support", status="open"), name="conversation_one_open_support"
            ),
            models.CheckConstraint(
                condition=(Q(kind="store") & Q(store__isnull=False)) | (Q(kind="support") & Q(store__isnull=True)),
                name="conversation_store_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="conversation_rating_1_5"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(status="closed"), name="conversation_rated_when_closed"
            ),
        ]
        indexes = [
            # Keyset pagination of each inbox: (owner, last activity, id) descending.
            models.Index(fields=["buyer", "-last_message_at", "-id"], name="conversation_buyer_inbox"),
            models.Index(fields=["store", "-last_message_at", "-id"], name="conversation_store_inbox"),
            models.Index(fields=["kind", "status", "-last_message_at", "-id"], name="conversation_support_queue"),
            # The navigation badge only ever reads conversations with something unread.
            models.Index(
                fields=["buyer"],
                name="conversation_buyer_unread",
                include=["buyer_unread"],
                condition=Q(buyer_unread__gt=0),
            ),
            models.Index(
                fields=["store"],
                name="conversation_store_unread",
                include=["store_unread"],
                condition=Q(store_unread__gt=0),
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.SUPPORT:
            return f"#{self.pk} support ↔ {self.buyer_id}"
        return f"#{self.pk} {self.buyer_id} ↔ store {self.store_id}"

    @property
    def is_support(self) -> bool:
        return self.kind == self.Kind.SUPPORT

    @staticmethod
    def side_fields(side: str) -> tuple[str, str, str]:
        """The fields of `side`'s inbox line: its unread count, the preview text and which side wrote it.

        A buyer sees the last message of any kind; a store and support see the last one a
        person wrote (an automatic reply does not make a conversation look answered).
        """
        if side == Side.BUYER:
            return "buyer_unread", "last_message_preview", "last_message_side"
        return "store_unread", "last_human_preview", "last_human_side"

    def unread_for(self, side: str) -> int:
        unread, _text, _side = self.side_fields(side)
        return int(getattr(self, unread))

    def preview_for(self, side: str) -> tuple[str, str]:
        """The inbox line for `side`: (text, which side wrote it)."""
        _unread, text, written_by = self.side_fields(side)
        return getattr(self, text), getattr(self, written_by)


class ConversationEvent(models.Model):
    """One change of a support chat's state: opened, closed, rated (the audit row of STYLE rule 3).

    Store conversations have no states to change; only support chats write these rows.
    """

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        CLOSED = "closed", _("Closed")
        RATED = "rated", _("Rated")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="events", verbose_name=_("conversation")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("actor")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    old_status = models.CharField(
        max_length=10, choices=Conversation.Status.choices, blank=True, verbose_name=_("old status")
    )
    new_status = models.CharField(max_length=10, choices=Conversation.Status.choices, verbose_name=_("new status"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(verbose_name=_("created"))

    class Meta:
        verbose_name = _("support chat event")
        verbose_name_plural = _("support chat events")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.kind} {self.old_status} → {self.new_status}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("conversation")
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    # The person who wrote it (an agent answers as the store; the buyer never sees who).
    # Empty for the store's automatic reply.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages_sent",
        verbose_name=_("sender"),
    )
    is_auto_reply = models.BooleanField(_("automatic reply"), default=False)
    # An automatic reply without the store's own text is the platform's: stored as a kind and
    # parameters (`messaging.kinds.AUTO_REPLY_KINDS`) and rendered in the reader's language.
    auto_kind = models.CharField(_("automatic reply kind"), max_length=20, blank=True)
    auto_params = models.JSONField(_("automatic reply parameters"), default=dict, blank=True)
    text = models.TextField(_("text"), blank=True)
    photos = models.ManyToManyField("portal.Photo", blank=True, related_name="messages", verbose_name=_("photos"))
    product = models.ForeignKey(
        "portal.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    order = models.ForeignKey(
        "portal.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    created_at = models.DateTimeField(_("sent"))
    # Set while the message waits for its "you have unread messages" e-mail; cleared when it
    # is read or claimed by the sweep.
    email_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mail due"))
    removed_at = models.DateTimeField(_("removed by moderators"), null=True, blank=True)
    # The conversation's buyer and store, copied when the message is written (a conversation
    # never changes hands): the inbox search looks a term up among one inbox's messages through
    # an index on (owner, text), not among the whole site's. No constraint and no cascade of
    # their own: the conversation's foreign key deletes the messages.
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("buyer"),
    )
    store = models.ForeignKey(
        "portal.Store",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("store"),
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        permissions = [("moderate_message", "Can uphold or dismiss message reports")]
        ordering = ("id",)
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_thread"),
            models.Index(
                fields=["email_due_at"], name="message_email_pending", condition=Q(email_due_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.conversation_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.buyer_id is None:
            self.buyer_id, self.store_id = self.conversation.buyer_id, self.conversation.store_id
        super().save(*args, **kwargs)


class ResponseExchange(models.Model):
    """A buyer-started exchange: opened by a buyer's message, answered by the store's first human reply."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="exchanges", verbose_name=_("conversation")
    )
    store = models.ForeignKey(
        "portal.Store", on_delete=models.CASCADE, related_name="response_exchanges", verbose_name=_("store")
    )
    started_at = models.DateTimeField(verbose_name=_("started"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered"))
    response_seconds = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("response time (seconds)"))

    class Meta:
        verbose_name = _("response exchange")
        verbose_name_plural = _("response exchanges")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(answered_at__isnull=True),
                name="exchange_one_open_per_conversation",
            ),
        ]
        indexes = [models.Index(fields=["store", "started_at"], name="exchange_store_recent")]

    def __str__(self) -> str:
        return f"{self.conversation_id} @ {format_moment(self.started_at)}"


class Block(models.Model):
    """One side of a store conversation refuses messages from the other."""

    store = models.ForeignKey(
        "portal.Store", on_delete=models.CASCADE, related_name="message_blocks", verbose_name=_("store")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_blocks", verbose_name=_("buyer")
    )
    by_side = models.CharField(_("blocked by"), max_length=10, choices=Side.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(verbose_name=_("created"))

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [models.UniqueConstraint(fields=["store", "buyer", "by_side"], name="block_unique")]

    def __str__(self) -> str:
        return f"{self.by_side} blocks: store {self.store_id} / buyer {self.buyer_id}"


class MessagingPreferences(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messaging_prefs", verbose_name=_("user")
    )
    email_messages = models.BooleanField(_("e-mail me about unread messages"), default=True)
    email_notifications = models.BooleanField(_("e-mail me notifications"), default=True)
    sms_notifications = models.BooleanField(_("text me urgent notifications"), default=True)

    class Meta:
        verbose_name = _("messaging preferences")
        verbose_name_plural = _("messaging preferences")

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class MessageEmail(models.Model):
    """One batched "you have unread messages" e-mail to one person."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    created_at = models.DateTimeField(verbose_name=_("created"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent"))

    class Meta:
        verbose_name = _("message e-mail")
        verbose_name_plural = _("message e-mails")
        # The retention sweep deletes the oldest sent ones first.
        indexes = [models.Index(fields=["sent_at"], name="message_email_sent", condition=Q(sent_at__isnull=False))]

    def __str__(self) -> str:
        return f"e-mail {self.pk} → {self.recipient_id}"


class MessageEmailItem(models.Model):
    email = models.ForeignKey(MessageEmail, on_delete=models.CASCADE, related_name="items", verbose_name=_("e-mail"))
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+", verbose_name=_("message"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )

    class Meta:
        # The final guard: a message is listed in one e-mail per recipient, ever.
        constraints = [models.UniqueConstraint(fields=["message", "recipient"], name="message_emailed_once")]

    def __str__(self) -> str:
        return f"{self.message_id} in {self.email_id}"


class MessageReport(models.Model):
    """A complaint about a message, for the moderators' queue."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        ABUSE = "abuse", _("Insults or harassment")
        FRAUD = "fraud", _("Fraud: payment or contact outside the marketplace")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld: message removed")
        DISMISSED = "dismissed", _("Dismissed")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports", verbose_name=_("message"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_reports", verbose_name=_("reporter")
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.TextField(_("details"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("reported"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("reported message")
        verbose_name_plural = _("reported messages")
        ordering = ("created_at", "id")
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="message_report_once")]
        indexes = [models.Index(fields=["created_at"], name="message_report_open", condition=Q(status="open"))]

    def __str__(self) -> str:
        return f"report {self.pk} on message {self.message_id}"


class MessageReportEvent(models.Model):
    report = models.ForeignKey(MessageReport, on_delete=models.CASCADE, related_name="events", verbose_name=_("report"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("actor")
    )
    old_status = models.CharField(
        max_length=10, choices=MessageReport.Status.choices, blank=True, verbose_name=_("old status")
    )
    new_status = models.CharField(max_length=10, choices=MessageReport.Status.choices, verbose_name=_("new status"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(verbose_name=_("created"))

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.old_status} → {self.new_status}"
