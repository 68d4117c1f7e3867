"""Find English left on a translated page, against the project's own catalogues.

An English msgid of an entry that is translated into the page's language (and whose translation
differs from the English) must not appear in that page's visible text. Single words and short
labels count only when they are a whole text of their own ("Stores" as a link); longer phrases
count wherever they appear, with their placeholders as wildcards.

People's own words are not the site's to translate: text inside elements marked with another
`lang` (the language menu's "English"), and inside the containers of user content listed in
USER_CONTENT_CLASSES, is left out. Used by the HTTP-level page test (Django's test client) and by
the Chromium walk (VISIBLE_TEXTS_JS collects the same texts in the browser).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.utils.translation import to_locale

APPS = ("portal", "messaging", "feedback", "disputes", "api")
PLACEHOLDER = re.compile(r"%\([a-zA-Z_]+\)[sdf]|%[sd]|\{[a-zA-Z_]+\}")
TAG = re.compile(r"<[^>]+>")
# Containers of what people wrote or named: messages, reviews, replies, notes, auto-replies.
USER_CONTENT_CLASSES = ("msg-text", "review-text", "user-content", "ref-card")
# Attributes whose text is read out or shown as a tooltip.
TEXT_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")
SKIPPED_TAGS = {"script", "style", "template", "head", "title", "noscript", "svg"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass(frozen=True)
class Phrase:
    english: str
    pattern: re.Pattern[str] | None  # None: a whole-text match only


def _po_entries(path: Path) -> Iterable[tuple[str, str, list[str], str]]:
    """(msgid, msgid_plural, msgstrs, flags) of each entry of a .po file."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        flags = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ""
                line = match.group(2)
            if key is not None and line.startswith('"'):
                fields[key] += line[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        if fields.get("msgid"):
            msgstrs = [v for k, v in fields.items() if k.startswith("msgstr")]
            yield fields["msgid"], fields.get("msgid_plural", ""), msgstrs, flags


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _phrase(english: str) -> Phrase | None:
    text = _normalise(TAG.sub(" ", english.replace("%%", "%")))
    literal = PLACEHOLDER.sub("", text).strip(" .,:;!?·—-()")
    if len(re.sub(r"[^A-Za-z]", "", literal)) < 3:  # nothing English to see ("%(n)s ★", "—")
        return None
    if " " not in literal or len(literal) < 12:
        return Phrase(english=text, pattern=None) if not PLACEHOLDER.search(text) else None
    parts = [re.escape(part) for part in PLACEHOLDER.split(text)]
    body = r".{1,80}?".join(parts).replace(r"\ ", r"\s+")
    return Phrase(english=text, pattern=re.compile(r"(?<![A-Za-z])" + body + r"(?![A-Za-z])"))


@cache
def english_phrases(language: str) -> tuple[Phrase, ...]:
    """The English of every entry translated (differently) into `language`, in the project's catalogues."""
    phrases: dict[str, Phrase] = {}
    root = Path(settings.BASE_DIR)
    for app in APPS:
        path = root / app / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po"
        if not path.exists():
            continue
        for msgid, plural, msgstrs, flags in _po_entries(path):
            if "fuzzy" in flags or not all(msgstrs):
                continue
            for english in filter(None, (msgid, plural)):
                if english in msgstrs:  # the same word in both languages ("Menu" in Polish)
                    continue
                phrase = _phrase(english)
                if phrase is not None:
                    phrases[phrase.english] = phrase
    return tuple(phrases.values())


def find_untranslated(texts: Iterable[str], language: str) -> list[str]:
    """The English phrases of the catalogues that appear in `texts` (the visible texts of a page)."""
    texts = [_normalise(text) for text in texts if text and text.strip()]
    whole = set(texts)
    joined = "\n".join(texts)
    found: list[str] = []
    for phrase in english_phrases(language):
        hit = phrase.english in whole if phrase.pattern is None else bool(phrase.pattern.search(joined))
        if hit:
            found.append(phrase.english)
    return sorted(found)


class _TextCollector(HTMLParser):
    """Visible texts of a server-rendered page: text nodes and the read-out attributes."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language.lower()
        self.stack: list[bool] = []  # per open element: is its content skipped?
        self.texts: list[str] = []
        self.current: list[str] = []

    def _skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def _flush(self) -> None:
        if self.current:
            self.texts.append("".join(self.current))
            self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        values = dict(attrs)
        lang = (values.get("lang") or "").lower()
        classes = (values.get("class") or "").split()
        skipped = (
            self._skipped()
            or tag in SKIPPED_TAGS
            or (tag != "html" and bool(lang) and lang != self.language)
            or any(name in classes for name in USER_CONTENT_CLASSES)
            or (tag == "input" and values.get("type") == "hidden")
        )
        if not skipped:
            for name in TEXT_ATTRIBUTES:
                if values.get(name):
                    self.texts.append(values[name] or "")
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.texts.append(values["value"] or "")
        if tag not in VOID_TAGS:
            self.stack.append(skipped)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if tag not in VOID_TAGS and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipped():
            self.current.append(data)


def visible_texts_from_html(html: str, language: str) -> list[str]:
    collector = _TextCollector(language)
    collector.feed(html)
    collector.close()
    collector._flush()
    return collector.texts


# The same texts in the browser: every text node's run within its element, and the attributes.
VISIBLE_TEXTS_JS = """
([language, userClasses, attributes]) => {
  const texts = [];
  const skip = [
    `[lang]:not([lang="${language}" i])`, "script", "style", "template", "noscript", "svg",
    ...userClasses.map((name) => "." + name),
  ].join(",");
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(skip)) continue;
    let run = "";
    for (const child of el.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) run += child.textContent;
      else { if (run.trim()) texts.push(run); run = ""; }
    }
    if (run.trim()) texts.push(run);
    for (const name of attributes) if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    if (el.tagName === "INPUT" && ["submit", "button"].includes(el.type) && el.value) texts.push(el.value);
  }
  return texts;
}
"""


def visible_texts_in_browser(page, language: str) -> list[str]:
    return page.evaluate(VISIBLE_TEXTS_JS, [language.lower(), list(USER_CONTENT_CLASSES), list(TEXT_ATTRIBUTES)])
