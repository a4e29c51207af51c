"""What is kept of a conversation when feedback is stored: a salted hash and a scrubbed, bounded question.

Feedback exists so that editors can improve the library; they need the wording of questions and which
passages were shown, never who asked. So the sender id is replaced by a keyed hash (HMAC-SHA256 with a salt
that never leaves the server: the same conversation gets the same hash, so votes can be counted once per
conversation, but the hash cannot be turned back into the id or matched against ids from another system),
and the question is stripped of obvious personal data and cut to a fixed length before it is written.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from bot.text import QUESTION_KEY, STORED, clip, normalise

MAX_QUESTION_CHARS = 500
# Scrubbing runs on at most this much text, so a pasted document costs no more than a long question.
_MAX_SCRUB_INPUT = 20 * MAX_QUESTION_CHARS
SALT_ENV = "FEEDBACK_SALT"
SALT_FILE_NAME = "feedback-salt"

# Placeholders keep the shape of the question readable for editors ("my nurse [email] said ...").
EMAIL = "[email]"
LINK = "[link]"
PHONE = "[phone]"
NUMBER = "[number]"
DATE = "[date]"

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Any URL or bare "www." address: paths and query strings often carry names, tokens or record numbers.
_URL_RE = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)
# A full numeric date (a birth date is personal data; "since 2019" is kept).
_DATE_RE = re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b")
# Seven or more digits, possibly split by spaces, dots, dashes or brackets, possibly after a "+".
_PHONE_RE = re.compile(r"(?<![\w+])\+?\(?\d(?:[\s().-]{0,2}\d){6,}\)?(?!\w)")
# Six or more digits in a row anywhere (record, card, insurance numbers), even glued to letters.
_DIGITS_RE = re.compile(r"\d{6,}")


def scrub(text: str) -> str:
    """Removes obvious personal data from free text, keeping the rest readable.

    Emails, URLs (with their paths and query strings), full numeric dates, phone numbers and runs of six or
    more digits become placeholders. Doses, years and small numbers stay, because editors need them to
    understand the question. Names and addresses cannot be recognised reliably: that is why stored
    questions are also short and deleted after the retention period.

    Examples:
        >>> scrub("write to jo.bloggs@example.com or call +44 7700 900123")
        'write to [email] or call [phone]'
        >>> scrub("is 25 mg of baclofen a lot? see https://x.org/p?id=9")
        'is 25 mg of baclofen a lot? see [link]'

    Args:
        text: the message as the person typed it.

    Returns:
        The text with each match replaced by a placeholder.
    """
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _URL_RE.sub(LINK, text)
    text = _DATE_RE.sub(DATE, text)
    text = _PHONE_RE.sub(PHONE, text)
    return _DIGITS_RE.sub(NUMBER, text)


def prepare_question(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """The form in which a question is stored: normalised, scrubbed, then cut to `limit` characters.

    Scrubbing comes before cutting so that a cut can never leave half an email address behind; text beyond
    the scrubbing window is dropped at a word boundary for the same reason.
    """
    text, _ = clip(normalise(text, STORED), _MAX_SCRUB_INPUT, at_word=True)
    return clip(scrub(text), limit, marker="…")[0]


def question_key(text: str) -> str:
    """The grouping key of a question: case, punctuation and spacing do not make it a different question.

    Examples:
        >>> question_key("  Can I   DRIVE on Baclofen?! ")
        'can i drive on baclofen'
    """
    return normalise(text, QUESTION_KEY)


def hash_conversation(conversation_id: str, salt: str) -> str:
    """A keyed hash of the sender id: stable for one conversation, meaningless without the salt."""
    return hmac.new(salt.encode("utf-8"), conversation_id.encode("utf-8"), hashlib.sha256).hexdigest()


def load_or_create_salt(path: Path) -> str:
    """Reads the local salt file, creating it once with a random value if it does not exist.

    Several action-server replicas on one machine may start together: the file is written under a temporary
    name and then hard-linked into place, which fails if another process won, so every process ends up with
    the same salt and none ever reads a half-written file. Replicas on different machines must share
    `FEEDBACK_SALT` instead.
    """
    try:
        salt = path.read_text(encoding="utf-8").strip()
        if salt:
            return salt
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    salt = path.read_text(encoding="utf-8").strip()
    if not salt:
        raise RuntimeError(f"The feedback salt file {path} is empty: delete it or set {SALT_ENV}.")
    return salt
