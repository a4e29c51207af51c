"""The reply data: a reply as every channel receives it, and the message that carries it.

`ReplyData` is the format (described in the README, "The reply data"): kind, paragraphs with the numbers of
the citations that follow them, numbered citations, buttons, the sources heading and the disclaimer, in the
conversation's language. A message carries it under `REPLY_KEY`; data without a disclaimer is refused
(`UnrenderableReply`) by everything that reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.emergency_numbers import Phone
from bot.replies.model import Button, Citation
from bot.wording import SOURCES_HEADING

# The key under which a message carries its `ReplyData` (see `OutgoingMessage.as_kwargs`).
REPLY_KEY = "reply"
# Version of the data format, for clients that keep their own renderer (raised on an incompatible change).
REPLY_FORMAT = 1


class UnrenderableReply(ValueError):
    """Reply data that must not be shown: no disclaimer, or not in the reply data format."""


@dataclass(frozen=True)
class PhoneLink:
    """A phone number a reply gives: as written in the text, its `tel:` URI, and what calling it means."""

    number: str
    label: str
    tel: str
    call: str

    @classmethod
    def of(cls, phone: Phone, call: str) -> PhoneLink:
        """The link for a configured or default number, `call` in the reply's language."""
        return cls(phone.number, phone.label, phone.tel, call)


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a reply, and the numbers of the citations that follow it ("text [1][2]")."""

    text: str
    citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReplyData:
    """A reply as every channel receives it: the parts that make it up, in the conversation's language.

    The format (`as_json`) is described in the README ("The reply data"); `reply_text` renders it as plain
    text, `bot.channels.telegram_format` as Telegram HTML, `widget/src/render.js` and
    `bot/channels/editor_static/reply.js` in the browser. Each of them refuses a reply without a disclaimer.
    """

    kind: str
    paragraphs: tuple[Paragraph, ...]
    citations: tuple[Citation, ...]
    buttons: tuple[Button, ...]
    disclaimer: str
    sources_heading: str = SOURCES_HEADING
    # The phone numbers the paragraphs give (emergency, crisis, poison lines, a person to talk to), with what
    # pressing each one does ("Call 112 (EU)"), so a channel can make them links without reading numbers out
    # of the text.
    phones: tuple[PhoneLink, ...] = ()

    def require_disclaimer(self) -> None:
        """Raises `UnrenderableReply` when the disclaimer is missing: such a reply is never shown."""
        if not isinstance(self.disclaimer, str) or not self.disclaimer.strip():
            raise UnrenderableReply(f"a {self.kind} reply without its disclaimer")

    def as_json(self) -> dict[str, Any]:
        """The data as JSON, as channels and clients receive it."""
        return {
            "format": REPLY_FORMAT,
            "kind": self.kind,
            "paragraphs": [{"text": p.text, "citations": list(p.citations)} for p in self.paragraphs],
            "sources_heading": self.sources_heading,
            "citations": [
                {
                    "number": c.number,
                    "source": c.source_id,
                    "publisher": c.publisher,
                    "title": c.title,
                    "url": c.url,
                    "reviewed": c.reviewed.isoformat() if c.reviewed else None,
                    "reviewed_label": c.reviewed_label,
                }
                for c in self.citations
            ],
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "disclaimer": self.disclaimer,
            "phones": [{"number": p.number, "label": p.label, "tel": p.tel, "call": p.call} for p in self.phones],
        }

    @classmethod
    def from_json(cls, data: Any) -> ReplyData:
        """Reads reply data as a channel received it.

        Raises:
            UnrenderableReply: the data is not in the format, or has no disclaimer.
        """
        try:
            citations = tuple(
                Citation(
                    int(c["number"]),
                    str(c.get("source") or ""),
                    str(c["publisher"]),
                    str(c["title"]),
                    str(c["url"]),
                    date.fromisoformat(c["reviewed"]) if c.get("reviewed") else None,
                    str(c["reviewed_label"]) if c.get("reviewed_label") else None,
                )
                for c in data["citations"]
            )
            known = {c.number for c in citations}
            paragraphs = tuple(
                Paragraph(str(p["text"]), tuple(int(n) for n in p["citations"])) for p in data["paragraphs"]
            )
            if any(n not in known for p in paragraphs for n in p.citations):
                raise UnrenderableReply("a paragraph cites a number that is not among the citations")
            reply = cls(
                kind=str(data["kind"]),
                paragraphs=paragraphs,
                citations=citations,
                buttons=tuple(Button(str(b["title"]), str(b["payload"])) for b in data["buttons"]),
                disclaimer=data["disclaimer"],
                sources_heading=str(data["sources_heading"]),
                # Replies stored before the numbers were data have none.
                phones=tuple(
                    PhoneLink(str(p["number"]), str(p["label"]), str(p["tel"]), str(p["call"]))
                    for p in data.get("phones") or ()
                ),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, UnrenderableReply):
                raise
            raise UnrenderableReply(f"not reply data: {error!r}") from error
        reply.require_disclaimer()
        return reply


def reply_in(message: Mapping[str, Any]) -> ReplyData | None:
    """The reply data a bot message carries, or None for a plain text message (e.g. a domain response).

    Raises:
        UnrenderableReply: the message carries reply data that must not be shown.
    """
    return ReplyData.from_json(message[REPLY_KEY]) if REPLY_KEY in message else None


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message, ready for `CollectingDispatcher.utter_message(**message.as_kwargs())`."""

    text: str
    buttons: tuple[Button, ...] = ()
    data: ReplyData | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the rasa-sdk dispatcher: the text, the buttons and the reply data.

        The data goes as an extra keyword, not as custom JSON: Rasa 3.6 keeps extra keywords in the
        `BotUttered` event and hands them to every output channel with the text (`send_response`), where
        channels that do not know them ignore them; custom JSON would reach Rasa's stock channels as a
        second message (REST, `rasa shell`) or break them (Socket.IO's `emit(**custom)`).
        """
        kwargs: dict[str, Any] = {"text": self.text}
        if self.buttons:
            kwargs["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.data is not None:
            kwargs[REPLY_KEY] = self.data.as_json()
        return kwargs
