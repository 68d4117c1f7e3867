"""`{% constant %}…{% endconstant %}`: markup drawn once per process and language.

The site's frame (the head's links to static files, the bar's links and labels, the language
menu) is the same on every page for every reader of a language, yet drawing it costs a URL
reversal, a static file lookup or a translation per tag on every request. A `constant` block
is rendered the first time a language needs it and its text reused after.

What makes it safe: the block is rendered with an empty context, never the page's. It sees
the active language (and what follows from it: translations, `get_current_language`), the URL
names and the static files, and nothing of the request, the viewer or the page; a variable
from the page inside it renders empty, so a block can never keep one viewer's markup for the
next.
"""

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.base import Node, NodeList, Parser, Token
from django.template.context import Context
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Bumped when a setting changes (tests' `override_settings`: a static files storage, the URLs,
# the languages): every block is drawn again instead of showing what the old settings drew.
_settings_generation = 0


def _settings_changed(**kwargs: Any) -> None:
    global _settings_generation
    _settings_generation += 1


setting_changed.connect(_settings_changed, dispatch_uid="portal-constant-settings-changed")


class ConstantNode(Node):
    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist
        # One text per (language, script prefix): kept on the node, so a template reloaded in
        # development starts afresh with its new nodes.
        self.rendered: dict[tuple[int, str | None, str], SafeString] = {}

    def render(self, context: Context) -> SafeString:
        key = (_settings_generation, translation.get_language(), get_script_prefix())
        text = self.rendered.get(key)
        if text is None:
            # `new()`: the page's template and settings (autoescape), none of its variables.
            text = mark_safe(self.nodelist.render(context.new()))
            self.rendered[key] = text
        return text


@register.tag
def constant(parser: Parser, token: Token) -> ConstantNode:
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("'constant' takes no arguments.")
    nodelist = parser.parse(("endconstant",))
    parser.delete_first_token()
    return ConstantNode(nodelist)
