"""Phrase matching: normalising texts, compiling the staff's patterns, checking examples.

A text and every pattern are normalised the same way (NFKC, casefold, whitespace collapsed),
so full-width letters, capitals and line breaks never hide a phrase. English and Polish
phrases must stand as words (no letter or digit right before or after); a pattern tolerates
inflection where staff write it (`zwr[oó]c\\w*`). Chinese, Korean and Gujarati phrases are
found anywhere: those languages do not separate words with spaces, or attach endings that a
word boundary would cut.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from trust.models import SUBSTRING_LANGUAGES

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    # NFKC leaves the typographic apostrophe alone; phrases are written with the plain one.
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return _SPACES.sub(" ", text).strip()


def _pattern_source(pattern: str) -> str:
    # The pattern's letters are normalised like the text, but not its escapes (casefolding
    # `\W` would turn it into `\w`); a space between words accepts any run of whitespace.
    parts = re.split(r"(\\.)", pattern.strip())
    return "".join(
        part if index % 2 else _SPACES.sub(r"\\s+", unicodedata.normalize("NFKC", part).casefold())
        for index, part in enumerate(parts)
    )


def compile_pattern(pattern: str, *, language: str) -> re.Pattern[str]:
    """The compiled pattern, or `ValueError` with a message a moderator can act on."""
    source = _pattern_source(pattern)
    if not source:
        raise ValueError(_("Write a phrase."))
    try:
        compiled = re.compile(source if language in SUBSTRING_LANGUAGES else rf"(?<!\w)(?:{source})(?!\w)")
    except re.error as error:
        raise ValueError(_("This pattern is not valid: %(error)s.") % {"error": error}) from None
    if compiled.search("") is not None or re.fullmatch(source, " ") is not None:
        raise ValueError(_("This pattern matches empty text; it would flag every message."))
    return compiled


@dataclass(frozen=True)
class CompiledPhrase:
    phrase_id: int
    kind: str
    language: str
    pattern: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Match:
    phrase: CompiledPhrase
    start: int
    end: int


def find_matches(text: str, phrases: Sequence[CompiledPhrase]) -> tuple[str, list[Match]]:
    """The normalised text and the first match of every phrase found in it."""
    normal = normalise(text)
    found = []
    for phrase in phrases:
        hit = phrase.regex.search(normal)
        if hit is not None:
            found.append(Match(phrase=phrase, start=hit.start(), end=hit.end()))
    return normal, found


def example_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def examples_errors(
    *, language: str, patterns: Iterable[str], must_match: Iterable[str], must_not_match: Iterable[str]
) -> list[str]:
    """What is wrong with a list as staff would save it: bad patterns, examples that misbehave."""
    errors: list[str] = []
    compiled: list[re.Pattern[str]] = []
    for pattern in patterns:
        try:
            compiled.append(compile_pattern(pattern, language=language))
        except ValueError as error:
            errors.append(f"{pattern}: {error}")
    if errors:
        return errors
    for example in must_match:
        if not any(regex.search(normalise(example)) for regex in compiled):
            errors.append(_("This example should match a phrase but matches none: %(example)s") % {"example": example})
    for example in must_not_match:
        hits = [regex.pattern for regex in compiled if regex.search(normalise(example))]
        if hits:
            errors.append(_("This example should match no phrase but matches one: %(example)s") % {"example": example})
    return errors
