"""The detector of English left on translated pages finds the catalogues' English and nothing else."""

from portal.tests.untranslated import find_untranslated, visible_texts_from_html


def test_finds_a_translated_label_left_in_english():
    assert find_untranslated(["My orders"], "pl") == ["My orders"]
    assert find_untranslated(["Moje zamówienia"], "pl") == []


def test_finds_a_sentence_with_its_placeholders_filled_in():
    text = "Status: If you do nothing, the order is confirmed automatically on 3 December 2026."
    found = find_untranslated([text], "ko")
    assert "If you do nothing, the order is confirmed automatically on %(when)s." in found


def test_words_that_are_the_same_in_both_languages_are_not_english_left():
    assert find_untranslated(["Menu"], "pl") == []  # "Menu" is Polish too
    assert find_untranslated(["Menu"], "ko") == ["Menu"]


def test_text_in_another_declared_language_and_user_content_are_left_out():
    html = (
        '<html lang="pl"><body><select><option lang="en">English</option></select>'
        '<p class="msg-text">My orders arrived</p><a href="/">My orders</a>'
        '<img alt="Search" src="x.svg"><p>Sklepy</p></body></html>'
    )
    texts = visible_texts_from_html(html, "pl")
    assert "English" not in texts
    assert "My orders arrived" not in texts
    assert find_untranslated(texts, "pl") == ["My orders", "Search"]
