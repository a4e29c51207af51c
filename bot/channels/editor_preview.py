"""The editors' preview: answers with draft passages, and what retrieval did, for the editors' channel only.

Editors preview answers with draft passages and see what retrieval did. Drafts must never reach patients,
so a preview is honoured only for a message that came from the editors' channel *and* carries a signature
of its sender and text made with `EDITOR_TOKEN` (`sign` / `preview_request`): a channel that lets clients
name their own input channel, or metadata a patient makes up, cannot turn it on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.content.records import ContentBundle
from bot.retrieval import Hit

EDITOR_CHANNEL = "editor"
# The metadata key under which the editors' channel asks for a preview.
PREVIEW_KEY = "editor_preview"
# The key of the custom JSON message that carries the preview back to the editors' channel.
DEBUG_KEY = "editor_debug"
# How many ranked passages of each search the preview shows.
PREVIEW_HITS = 5


@dataclass
class EditorPreview:
    """An editor's request for drafts and debug data, and the searches made while answering it."""

    drafts: bool
    searches: list[list[Hit]] = field(default_factory=list)
    revision: int | None = None
    bundle: ContentBundle | None = None

    def saw(self, revision: int | None, bundle: ContentBundle) -> None:
        """Notes the content snapshot the turn reads (for the page's revision and source titles)."""
        self.revision, self.bundle = revision, bundle

    def record(self, hits: list[Hit]) -> None:
        """Keeps the hits of one search, in the order the service searched."""
        self.searches.append(list(hits))

    def debug(self, passage_ids: Sequence[str]) -> dict[str, Any]:
        """The debug data for the editors' page: every search's best hits with scores and sources."""
        bundle = self.bundle

        def source(source_id: str) -> dict[str, str]:
            record = bundle.sources.get(source_id) if bundle else None
            if record is None:
                return {"id": source_id, "publisher": "", "title": "(unknown source)", "url": ""}
            return {"id": source_id, "publisher": record.publisher, "title": record.title, "url": record.url}

        searches = [
            [
                {
                    "id": hit.passage.id,
                    "title": hit.passage.title,
                    "topic": hit.passage.topic,
                    "status": hit.passage.status.value,
                    "score": round(hit.score, 4),
                    "chosen": hit.passage.id in passage_ids,
                    "sources": [source(s) for s in hit.passage.sources],
                }
                for hit in hits[:PREVIEW_HITS]
            ]
            for hits in self.searches
        ]
        return {
            "drafts": self.drafts,
            "passages_indexed": len(bundle.passages) if bundle else 0,
            "revision": self.revision,
            "chosen": list(passage_ids),
            "searches": searches,
        }


def sign(token: str, sender_id: str, text: str) -> str:
    """The editors' channel's signature of one message (HMAC-SHA256 with `EDITOR_TOKEN`)."""
    message = json.dumps([sender_id, text], ensure_ascii=False).encode("utf-8")  # unambiguous pairing
    return hmac.new(token.encode("utf-8"), message, hashlib.sha256).hexdigest()


def preview_metadata(token: str, sender_id: str, text: str, drafts: bool) -> dict[str, Any]:
    """The metadata the editors' channel attaches to a message to ask for a preview."""
    return {PREVIEW_KEY: {"drafts": bool(drafts), "signature": sign(token, sender_id, text)}}


def preview_request(
    input_channel: str | None,
    metadata: Mapping[str, Any] | None,
    sender_id: str,
    text: str,
    token: str | None,
) -> EditorPreview | None:
    """The preview a message asks for, or None for patients and for unsigned or forged requests.

    Always None when `EDITOR_TOKEN` is not set in this process: without it nothing can be verified.

    Args:
        input_channel: the channel the message came in on (the tracker's latest input channel).
        metadata: the message's metadata.
        sender_id: the conversation id.
        text: the message text as the tracker holds it.
        token: `EDITOR_TOKEN` of this process.
    """
    if not token or input_channel != EDITOR_CHANNEL or not isinstance(metadata, Mapping):
        return None
    request = metadata.get(PREVIEW_KEY)
    if not isinstance(request, Mapping):
        return None
    signature = request.get("signature")
    if not isinstance(signature, str) or not hmac.compare_digest(signature, sign(token, sender_id, text)):
        return None
    return EditorPreview(drafts=request.get("drafts") is True)
