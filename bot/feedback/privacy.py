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
NAME = "[name]"
ADDRESS = "[address]"
POSTCODE = "[postcode]"
HANDLE = "[handle]"

# Every pattern below runs in linear time on any input: no pattern has two quantified parts that can match the
# same characters next to each other, and those that start with a repeated class are anchored by a lookbehind,
# so a failed match is not retried from every position inside the run (`python -m bench.scrub_cost`).
# The lookbehind is what keeps the e-mail pattern linear: without it a 10,000-character "a.a.a..." took 730 ms.
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# "jane dot smith at gmail dot com", "jo at hotmail": an address spelt out to get past filters. Found by a
# scan over the words (`_spelt_emails`), not a regex: a regex over "a dot a dot a dot ..." is quadratic.
_PROVIDERS = frozenset(
    {"gmail", "googlemail", "hotmail", "yahoo", "outlook", "icloud", "aol", "live", "btinternet", "protonmail"}
    | {"proton", "msn", "mail"}
)
_WORDS_AND_GAPS = re.compile(r"(\s+)")
# Any URL or bare "www." address: paths and query strings often carry names, tokens or record numbers.
_URL_RE = re.compile(r"(?:(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)
# "@jo_bloggs", "u/jobloggs": a handle names a person on another site (an e-mail is gone by now).
_HANDLE_RE = re.compile(r"(?<![\w@])@\w{2,}|\bu/\w{2,}", re.UNICODE)
# A full numeric date (a birth date is personal data; "since 2019" is kept).
_DATE_RE = re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# A written date with a day ("3 March 1961", "the 3rd of march", "March 3, 1961"); a month alone ("since
# March") or a month and year ("in March 2019") tells nobody who someone is and stays.
_WRITTEN_DATE_RE = re.compile(
    rf"\b(?:{_DAY} (?:of )?{_MONTH}\b(?:,? \d{{2,4}}\b)?|{_MONTH} {_DAY}\b(?:,? \d{{2,4}}\b)?)", re.IGNORECASE
)
# "born in 1961", "dob 1961", "date of birth: 61": a year given as a birth date.
_BIRTH_YEAR_RE = re.compile(
    r"\b(born(?: in| on)?|d\.?o\.?b\.?:?|date of birth:?|birthday:?) (?:\[date\]|(?:in )?\d{2,4}\b)", re.IGNORECASE
)
# "12 Oak Road", "flat 3, 45a High Street": a house number, up to three words and a kind of street.
_STREET = (
    r"(?:road|rd|street|st|avenue|ave|lane|ln|drive|dr|close|way|court|ct|crescent|cres|place|pl|terrace|"
    r"grove|gardens|gdns|square|sq|boulevard|blvd|hill|park|row|mews|walk|parade|green|rise|view|calle|avenida)"
)
_ADDRESS_RE = re.compile(rf"\b\d{{1,5}}[a-z]?,? (?:[a-z'-]+ ){{1,3}}{_STREET}\b\.?", re.IGNORECASE)
# UK ("SW1A 1AA"), Canadian ("K1A 0B1") postcodes, and a US ZIP code where it is named as one.
_POSTCODE_RE = re.compile(
    r"\b(?:[a-z]{1,2}\d[a-z\d]? ?(?!\d(?:st|nd|rd|th)\b)\d[a-z]{2}|[a-z]\d[a-z] ?\d[a-z]\d)\b|"
    r"\b(?:zip(?: ?code)?:? ?)\d{5}(?:-\d{4})?\b",
    re.IGNORECASE,
)
# "MRN A12345", "hospital number: RX-12345", "NHS no 943...": the number after a record keyword, whatever it
# looks like, and any word of letters with four or more digits in it ("A12345", "rx1234567").
_RECORD_RE = re.compile(
    r"\b(mrn|nhs (?:number|no\.?)|hospital (?:number|no\.?)|hosp no\.?|patient (?:id|number|no\.?)|record "
    r"(?:number|no\.?)|case (?:number|no\.?)|chi (?:number|no\.?)|medicare(?: number)?|insurance (?:number|no\.?)|"
    r"policy (?:number|no\.?)|ref(?:erence)?(?: number| no\.?)?|id number)((?::| is| #|#)? ?)"
    r"[a-z]*[/-]?\d(?:[\w/-]|\s(?=\d))*",
    re.IGNORECASE,
)
_CODE_RE = re.compile(r"\b[a-z]{1,4}-?\d{4,}[a-z]?\b", re.IGNORECASE)
# Seven or more digits, possibly split by spaces, dots, dashes or brackets, possibly after a "+".
# It never starts inside a run of digits and separators, so a long run is scanned once, not from every digit.
_PHONE_RE = re.compile(r"(?<![\w+])(?<!\d[\s().-])(?<!\d[\s().-][\s().-])\+?\(?\d(?:[\s().-]{0,2}\d){6,}\)?(?!\w)")
# Six or more digits in a row anywhere (record, card, insurance numbers), even glued to letters.
_DIGITS_RE = re.compile(r"\d{6,}")
# A name given as a name: "my name is Jane Smith", "I'm called Jo", "call me Sam", "her name's Ana", "signed,
# Pat". The name and, when it looks like one, a surname become the placeholder; the words after stay.
_NAME_INTRO_RE = re.compile(
    r"(?i:\b(?:(?:my|his|her|their|our|your) name(?: is|'s| was)|i(?:'m| am) called|(?:he|she|they)(?:'s| is| are) "
    r"called|call me|signed,?|regards,))( )([A-Za-zÀ-ÿ'-]+)(?: ([A-Za-zÀ-ÿ'-]+))?"
    r"|\b(?:named|called)( )([A-Z][a-zà-ÿ'-]+)"
)
# Words that end a name or cannot begin one ("my name is on the list", "call me back").
_NOT_NAMES = frozenset(
    """a an the and or but so i im i'm is am are was were be been has have had do does did not no yes ok okay my
    your his her their our its it he she they we you me him them who what when where why how which that this
    there here with from for to of in on at by about as if then than just also really very too please thanks
    thank hi hello hey dear sorry because since after before while until back later tomorrow today tonight now
    soon anytime again up out down ms stroke cp mum mom dad son daughter husband wife partner doctor nurse
    physio""".split()  # noqa: SIM905 - a word list reads better as prose
)
# "look at this dot com", "i am at home": words that come before "at" but never begin an address.
_NOT_BEFORE_AT = _NOT_NAMES | {"look", "looking", "looked", "arrive", "arrived", "stay", "home", "work", "good", "best"}


def _spelt_emails(text: str) -> str:
    """Replaces addresses spelt out in words ("jane dot smith at gmail dot com") with the placeholder.

    One pass over the words: at each "at" followed by a provider or by "x dot y", the span runs back over the
    "name dot name" chain before it and on over the "dot" chain after it.
    """
    parts = _WORDS_AND_GAPS.split(text)  # words at even indexes, the gaps between them at odd ones
    words = [p.lower().strip(".,;:!?()") for p in parts[0::2]]
    n = len(words)
    out: list[str] = []
    i = 0
    start = 0
    while i < n:
        after = i + 1
        provider = after < n and (words[after] in _PROVIDERS or (after + 2 < n and words[after + 1] == "dot"))
        if words[i] == "at" and i > 0 and words[i - 1] and provider and words[i - 1] not in _NOT_BEFORE_AT:
            left = i - 1
            while left >= 2 and words[left - 1] == "dot" and words[left - 2]:
                left -= 2
            left = max(left, start)
            right = after
            while right + 2 < n and words[right + 1] == "dot" and words[right + 2]:
                right += 2
            out.append("".join(parts[2 * start : 2 * left]) + EMAIL)
            start = right + 1
            i = right + 1
            if start < n:
                out.append(parts[2 * start - 1])  # the gap after the address
            continue
        i += 1
    out.append("".join(parts[2 * start :]))
    return "".join(out)


def _name(match: re.Match[str]) -> str:
    """The name (and a surname) replaced, the introduction and the words after it kept."""
    whole = match.group(0)
    if match.group(5):  # "a nurse named Sarah": only a capitalised word counts
        return whole[: match.start(4) - match.start(0)] + f" {NAME}"
    first, second = match.group(2), match.group(3)
    if first.lower() in _NOT_NAMES:
        return whole
    intro = whole[: match.start(1) - match.start(0)]
    tail = f" {second}" if second is not None and second.lower() in _NOT_NAMES else ""
    return f"{intro} {NAME}{tail}"


def scrub(text: str) -> str:
    """Removes obvious personal data from free text, keeping the rest readable.

    Emails (also spelt out), URLs (with their paths and query strings), handles, full and written dates and
    years of birth, street addresses, postcodes, record numbers, phone numbers, runs of six or more digits and
    names given as names ("my name is ...") become placeholders. Doses, years and small numbers stay, because
    editors need them to understand the question. A name merely mentioned ("Jane says...") cannot be told
    from a word reliably: that is why stored questions are also short and deleted after the retention period.

    Examples:
        >>> scrub("write to jo.bloggs@example.com or call +44 7700 900123")
        'write to [email] or call [phone]'
        >>> scrub("is 25 mg of baclofen a lot? see https://x.org/p?id=9")
        'is 25 mg of baclofen a lot? see [link]'
        >>> scrub("my name is Jane Smith, born 3 March 1961, 12 Oak Road, SW1A 1AA")
        'my name is [name], born [date], [address], [postcode]'

    Args:
        text: the message as the person typed it.

    Returns:
        The text with each match replaced by a placeholder.
    """
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _spelt_emails(text)
    text = _URL_RE.sub(LINK, text)
    text = _HANDLE_RE.sub(HANDLE, text)
    text = _DATE_RE.sub(DATE, text)
    text = _WRITTEN_DATE_RE.sub(DATE, text)
    text = _BIRTH_YEAR_RE.sub(lambda m: f"{m.group(1)} {DATE}", text)
    text = _RECORD_RE.sub(lambda m: f"{m.group(1)}{m.group(2) or ' '}{NUMBER}", text)
    text = _ADDRESS_RE.sub(ADDRESS, text)
    text = _POSTCODE_RE.sub(POSTCODE, text)
    text = _CODE_RE.sub(NUMBER, text)
    text = _PHONE_RE.sub(PHONE, text)
    text = _DIGITS_RE.sub(NUMBER, text)
    return _NAME_INTRO_RE.sub(_name, text)


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
