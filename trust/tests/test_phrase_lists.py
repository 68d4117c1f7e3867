"""The phrase lists: each seeded list's examples behave in both directions, in every language;
normalisation, word boundaries, and staff edits refused when a pattern or an example fails."""

import pytest
from django.urls import reverse

from trust.matching import compile_pattern, examples_errors, find_matches, normalise
from trust.models import Language, Phrase, PhraseList
from trust.selectors import active_phrases

from .conftest import SEED

pytestmark = pytest.mark.django_db

EXAMPLES = [(language, example, True) for language, data in SEED.LISTS.items() for example in data["must_match"]] + [
    (language, example, False) for language, data in SEED.LISTS.items() for example in data["must_not_match"]
]


def _list_phrases(language):
    return [phrase for phrase in active_phrases() if phrase.language == language]


def test_every_language_ships_a_list_of_five_to_ten_phrases_with_examples_both_ways():
    assert set(PhraseList.objects.values_list("language", flat=True)) == set(Language.values)
    for phrase_list in PhraseList.objects.all():
        assert 5 <= phrase_list.phrases.count() <= 10, phrase_list.language
        assert len(phrase_list.must_match.splitlines()) >= 4
        assert len(phrase_list.must_not_match.splitlines()) >= 4
        assert set(phrase_list.phrases.values_list("kind", flat=True)) == {Phrase.Kind.INCENTIVE, Phrase.Kind.THREAT}


@pytest.mark.parametrize(("language", "example", "should_match"), EXAMPLES, ids=lambda value: str(value)[:40])
def test_seeded_example_behaves(language, example, should_match):
    """Each stored example against its own language's list: matches, or a near miss that must not."""
    stored = PhraseList.objects.get(language=language)
    assert example in (stored.must_match if should_match else stored.must_not_match)
    _normal, matches = find_matches(example, _list_phrases(language))
    assert bool(matches) is should_match, [match.phrase.pattern for match in matches]


def test_near_misses_match_no_list_of_any_language():
    """A text is checked against every language's list: no other list may catch a near miss either."""
    phrases = active_phrases()
    for data in SEED.LISTS.values():
        for example in data["must_not_match"]:
            assert find_matches(example, phrases)[1] == [], example


def test_the_stored_examples_pass_the_check_staff_saves_run():
    for phrase_list in PhraseList.objects.all():
        assert (
            examples_errors(
                language=phrase_list.language,
                patterns=phrase_list.phrases.values_list("pattern", flat=True),
                must_match=phrase_list.must_match.splitlines(),
                must_not_match=phrase_list.must_not_match.splitlines(),
            )
            == []
        )


def test_normalising_folds_case_width_and_whitespace():
    assert normalise("  ＣＯＵＰＯＮ\n\tfor   5 STARS ") == "coupon for 5 stars"
    assert normalise("I’ll") == "i'll"
    phrases = _list_phrases("en")
    assert find_matches("ＣＯＵＰＯＮ\nFOR  ５ stars", phrases)[1]


def test_english_and_polish_phrases_stand_as_words_the_others_anywhere():
    word = compile_pattern("refund", language="en")
    assert word.search(normalise("a refund now"))
    assert not word.search(normalise("refunded"))  # inflection only where the pattern allows it
    assert compile_pattern(r"refund\w*", language="en").search("refunded")
    assert compile_pattern(r"zwr[oó]c\w*", language="pl").search(normalise("Zwrócimy"))
    assert not compile_pattern("bon", language="pl").search("bonifikata")
    assert compile_pattern("退款", language="zh").search("给您全额退款吧")
    assert compile_pattern("환불", language="ko").search("환불해")


def test_the_match_is_located_in_the_normalised_text():
    normal, matches = find_matches("Hello!  Coupon FOR 5 stars, ok?", _list_phrases("en"))
    assert [normal[m.start : m.end] for m in matches] == ["coupon for 5 stars"]


@pytest.mark.parametrize("pattern", ["(unclosed", "a**", "x*", r"\s*", ""])
def test_a_bad_pattern_is_refused_with_a_message(pattern):
    with pytest.raises(ValueError, match=r"\w"):
        compile_pattern(pattern, language="en")


def _admin_post(client, phrase_list, *, must_match, must_not_match, phrases):
    data = {
        "language": phrase_list.language,
        "must_match": must_match,
        "must_not_match": must_not_match,
        "phrases-TOTAL_FORMS": str(len(phrases)),
        "phrases-INITIAL_FORMS": str(sum(1 for p in phrases if p.get("id"))),
        "phrases-MIN_NUM_FORMS": "0",
        "phrases-MAX_NUM_FORMS": "1000",
    }
    for index, phrase in enumerate(phrases):
        data[f"phrases-{index}-id"] = phrase.get("id", "")
        data[f"phrases-{index}-phrase_list"] = str(phrase_list.pk)
        data[f"phrases-{index}-kind"] = phrase["kind"]
        data[f"phrases-{index}-pattern"] = phrase["pattern"]
        if phrase.get("is_active", True):
            data[f"phrases-{index}-is_active"] = "on"
        if phrase.get("DELETE"):
            data[f"phrases-{index}-DELETE"] = "on"
    return client.post(reverse("admin:trust_phraselist_change", args=[phrase_list.pk]), data)


def _current(phrase_list):
    return [{"id": str(p.pk), "kind": p.kind, "pattern": p.pattern} for p in phrase_list.phrases.order_by("pk")]


def test_staff_save_refused_when_an_example_no_longer_matches(client, staff):
    client.force_login(staff)
    phrase_list = PhraseList.objects.get(language="en")
    phrases = _current(phrase_list)
    phrases[2]["DELETE"] = True  # "coupon for 5 stars" is the only phrase for one example
    response = _admin_post(
        client,
        phrase_list,
        must_match=phrase_list.must_match,
        must_not_match=phrase_list.must_not_match,
        phrases=phrases,
    )
    assert response.status_code == 200
    assert "This example should match a phrase but matches none: Coupon for 5 stars!" in response.content.decode()
    assert phrase_list.phrases.count() == len(phrases)


def test_staff_save_refused_when_a_near_miss_starts_matching(client, staff):
    client.force_login(staff)
    phrase_list = PhraseList.objects.get(language="en")
    phrases = [*_current(phrase_list), {"kind": "incentive", "pattern": "five-star review"}]
    response = _admin_post(
        client,
        phrase_list,
        must_match=phrase_list.must_match,
        must_not_match=phrase_list.must_not_match,
        phrases=phrases,
    )
    assert response.status_code == 200
    assert "should match no phrase but matches one: Thanks for the five-star review!" in response.content.decode()
    assert not phrase_list.phrases.filter(pattern="five-star review").exists()


def test_staff_save_refused_for_a_bad_pattern_with_the_message_beside_it(client, staff):
    client.force_login(staff)
    phrase_list = PhraseList.objects.get(language="pl")
    phrases = [*_current(phrase_list), {"kind": "threat", "pattern": "(nie"}]
    response = _admin_post(
        client,
        phrase_list,
        must_match=phrase_list.must_match,
        must_not_match=phrase_list.must_not_match,
        phrases=phrases,
    )
    assert response.status_code == 200
    assert "This pattern is not valid" in response.content.decode()
    assert not phrase_list.phrases.filter(pattern="(nie").exists()


def test_staff_save_of_a_list_whose_examples_still_behave_is_kept_and_used(client, staff):
    client.force_login(staff)
    phrase_list = PhraseList.objects.get(language="en")
    phrases = [*_current(phrase_list), {"kind": "threat", "pattern": r"(i|we)('ll| will) find you"}]
    response = _admin_post(
        client,
        phrase_list,
        must_match=phrase_list.must_match + "\nWe will find you.",
        must_not_match=phrase_list.must_not_match + "\nWe will find your parcel.",
        phrases=phrases,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert find_matches("we'll find you", active_phrases())[1]
    assert not find_matches("We will find your parcel.", active_phrases())[1]
