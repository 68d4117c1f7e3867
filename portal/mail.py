"""Readable e-mail bodies in every language.

Django builds messages with the standard library's `email.message.EmailMessage`, whose
content manager picks a transfer encoding per text part. For a line longer than 78 bytes
(any real sentence in Chinese, Korean or Gujarati, three bytes a character) it compares
quoted-printable with base64 and picks base64: the console backend then prints lines of
base64 that no developer can read, and some mail filters score base64-only text as spam.

`use_readable_text_encoding()` registers one text handler on the standard content manager,
so every sender (our notifications and batched messages, allauth's account mails, Django's
own mails) and every backend (console, SMTP, locmem, file) gets the same rule: UTF-8 text
travels as 8bit, which every modern mail server accepts (8BITMIME), unless a line is longer
than the 998 bytes RFC 5322 allows; then quoted-printable, which keeps the ASCII readable.
"""

import email.contentmanager
import email.message
from typing import Any

# RFC 5322 §2.1.1: a line is at most 998 characters, excluding the CRLF.
MAX_LINE_BYTES = 998
# The standard handler this one refines (public in the module, absent from typeshed).
_standard_set_text_content = email.contentmanager.set_text_content  # type: ignore[attr-defined]


def _set_readable_text(
    msg: email.message.EmailMessage,
    string: str,
    subtype: str = "plain",
    charset: str = "utf-8",
    cte: str | None = None,
    **kwargs: Any,
) -> None:
    if cte is None and charset.lower().replace("_", "-") in {"utf-8", "utf8"} and msg.policy.cte_type == "8bit":
        lines = string.encode(charset).splitlines()
        if any(byte > 0x7F for line in lines for byte in line):
            cte = "8bit" if all(len(line) <= MAX_LINE_BYTES for line in lines) else "quoted-printable"
    _standard_set_text_content(msg, string, subtype, charset, cte, **kwargs)


def use_readable_text_encoding() -> None:
    """Send non-ASCII text parts as 8bit (or quoted-printable) instead of base64; idempotent."""
    email.contentmanager.raw_data_manager.add_set_handler(str, _set_readable_text)
