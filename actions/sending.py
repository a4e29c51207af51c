"""Sending a reply: put into the conversation's language, rendered with its disclaimer, or the safe fallback.

`send` is the only place in the action server that calls `utter_message` for a reply: every reply goes through
`bot.replies.render`, which turns it into data and text with the disclaimer, and a reply it refuses is replaced
by the safe fallback (`bot.replies.safe_fallback`). The one other call, `send_greeting`, sends the domain's own
greeting, small talk with nothing medical in it, exactly as Rasa sends it for "hello".
"""

from __future__ import annotations

import dataclasses
import logging

from rasa_sdk.executor import CollectingDispatcher

from bot.channels.editor_preview import DEBUG_KEY, EditorPreview
from bot.constants import UTTER_GREET
from bot.language import LanguageState, maybe_spanish
from bot.localise import bilingual, localise
from bot.replies import (
    Button,
    OutgoingMessage,
    Reply,
    ReplyKind,
    UnrenderableReply,
    render,
    reply_text,
    safe_fallback,
)
from bot.service import BotService
from bot.wording import RenderWords, render_words

logger = logging.getLogger(__name__)


def in_language(
    service: BotService, reply: Reply, language: LanguageState, message: str = ""
) -> tuple[Reply, RenderWords]:
    """The reply in the conversation's language, and the words `render` needs for it.

    An emergency in a conversation whose language is only guessed is answered in both languages when the
    message may be Spanish, so a misread language never hides what to do now.
    """
    lang = language.effective
    if reply.kind == ReplyKind.INTRODUCTION:
        switch = Button("English", "english") if lang == "es" else Button("Español", "español")
        reply = dataclasses.replace(reply, buttons=(*reply.buttons, switch))
    both = reply.kind == ReplyKind.EMERGENCY and not language.certain and (lang == "es" or maybe_spanish(message))
    if lang == "en" and not both:  # nothing to translate
        return reply, render_words(lang)
    protocol = service.safety_replies.protocol() if reply.kind == ReplyKind.EMERGENCY else {}
    passages = [service.bundle.passages[p].text for p in reply.passage_ids if p in service.bundle.passages]
    if both:
        # Both disclaimers, one per line; the sources under the Spanish heading (the channels know both).
        words = render_words("es")
        words["disclaimer"] = f"{words['disclaimer']}\n{render_words('en')['disclaimer']}"
        return bilingual(reply, protocol, passages), words
    return localise(reply, lang, protocol, passages), render_words(lang)


def send(
    dispatcher: CollectingDispatcher,
    reply: Reply,
    preview: EditorPreview | None = None,
    words: RenderWords | None = None,
) -> None:
    """Sends one reply as data and as text; the rendering adds numbered sources and the disclaimer.

    The words are the reply's language's disclaimer, sources heading and language. A reply that cannot be
    rendered (no disclaimer) is never sent: the safe fallback, with the deployment's numbers, goes instead.
    For an editor's preview the same message also carries the debug data (passages, scores, sources) as
    custom JSON, which only the editors' channel receives.
    """
    try:
        message = render(reply, **(words or render_words("en")))
    except UnrenderableReply:
        logger.exception("A %s reply could not be rendered; sending the safe fallback", reply.kind.value)
        fallback = safe_fallback()
        message = OutgoingMessage(reply_text(fallback), fallback.buttons, fallback)
    kwargs = message.as_kwargs()
    if preview is not None:
        kwargs["json_message"] = {DEBUG_KEY: preview.debug(reply.passage_ids)}
    dispatcher.utter_message(**kwargs)


def send_greeting(dispatcher: CollectingDispatcher) -> None:
    """The domain's greeting (`utter_greet`), in the conversation's language: what a start that names no topic gets.

    Rasa renders the response from the domain with the `language` slot, as for a "hello", so a conversation
    opened on an unknown topic looks like any other start.
    """
    dispatcher.utter_message(response=UTTER_GREET)
