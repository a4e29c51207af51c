"""Runtime settings, read once from the environment with safe local defaults.

Every setting has a default that runs offline on SQLite, so a fresh clone works with no configuration; the
scaled setup (PostgreSQL, Redis, several replicas) is selected by environment variables only. `.env.example`
documents each variable. Paths are resolved against the project root so that commands behave the same from
any working directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from bot.emergency_numbers import DEFAULT as DEFAULT_NUMBERS
from bot.emergency_numbers import LocalNumbers, check_number, check_url, from_settings, parse_numbers

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"

# The environment every server process of the bot (Rasa server, action server) runs with: one table for the
# launcher (`make run`, `make run-scaled`: set unless the environment already sets them), the benchmark
# (`make bench` runs this bot and the tuned stock bot with them) and the Kubernetes manifests (deploy/k8s/
# repeat the values in every Rasa and action-server container; tests/test_process_settings.py checks it).
PROCESS_ENV: Mapping[str, str] = MappingProxyType(
    {
        # rasa-sdk's Sanic drops idle keep-alive connections after 5 s; Rasa may reuse one just as it closes,
        # the action call fails with "Can not write request body" and the turn goes silent (seen in load tests;
        # fixed in rasa-sdk after 3.6: RasaHQ/rasa-sdk#1047). Outliving Rasa's pooled connections avoids it.
        "SANIC_KEEP_ALIVE_TIMEOUT": "120",
        # One TensorFlow and OpenMP thread per process: a server handles one message at a time on its event
        # loop anyway, so TF's default pools (a thread per core, spinning while they wait for work) only
        # compete with the action server, the database and the other replicas for the same cores.
        "TF_INTRA_OP_PARALLELISM_THREADS": "1",
        "TF_INTER_OP_PARALLELISM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        # TensorFlow's C++ start-up information and warnings off; errors still show.
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
)


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _words(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list setting: values separated by commas or spaces; unset means `default`, set but blank means none."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(word for word in raw.replace(",", " ").split() if word)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


# Where the servers that face no client listen: the action servers and the scaled setup's Rasa replicas.
INTERNAL_HOST = "127.0.0.1"


@dataclass(frozen=True)
class Settings:
    """All settings of the bot and its tooling.

    Attributes:
        database_url: SQLAlchemy URL of the content database (`DATABASE_URL`).
        content_dir: folder with the curated YAML content (`CONTENT_DIR`).
        nlp_dir: where the project's spaCy pipeline is built and loaded from (`NLP_MODEL_DIR`).
        model_dir: where trained Rasa models are written (`MODEL_DIR`).
        tracker_db: SQLite file of Rasa's conversation tracker store (`TRACKER_DB`).
        host: interface the servers listen on (`BOT_HOST`).
        rasa_port: Rasa server port (`RASA_PORT`).
        action_port: action server port (`ACTION_PORT`).
        rasa_api_token: token that protects Rasa's HTTP API; the API is off without it (`RASA_API_TOKEN`).
        answer_threshold: relevance (0 to 1) below which the bot says it has no good answer
            (`ANSWER_THRESHOLD`).
        max_message_chars: longest user message the bot reads; longer ones are cut and the user is told
            (`MAX_MESSAGE_CHARS`).
        require_services: when set, tests that need PostgreSQL or Redis fail instead of skipping when the
            service is missing (`REQUIRE_SERVICES`, set by `.ci/run`).
        content_reload_seconds: at most how often a running action server checks, before a turn, the
            content revision and swaps in newly loaded content: 0 (default) checks before every turn, so the
            next answer after a load is new; negative turns the check off (`CONTENT_RELOAD_SECONDS`).
        editor_token: the editors' web shell is served only with this token (`EDITOR_TOKEN`).
        editor_accounts: the editors' named accounts, managed with `python -m bot.tools.editors`
            (`EDITOR_ACCOUNTS`).
        editor_audit_log: the append-only log of what editors changed, published or signed off
            (`EDITOR_AUDIT_LOG`).
        rest_max_body_bytes: largest REST request body accepted; larger ones get 413 (`REST_MAX_BODY_BYTES`).
        rest_rate_per_minute: messages one sender may send per minute over REST, on average; 0 turns the
            limit off (`REST_RATE_PER_MINUTE`).
        rest_rate_burst: messages one sender may send at once before the rate applies (`REST_RATE_BURST`).
        rest_max_in_flight: requests of one sender the server works on at the same time; more get 429
            (`REST_MAX_IN_FLIGHT`).
        telegram_bot_token: the Telegram bot's token from BotFather; the Telegram channel is off without it
            (`TELEGRAM_BOT_TOKEN`).
        telegram_api_url: base URL of the Bot API, changed for a self-hosted Bot API server
            (`TELEGRAM_API_URL`).
        telegram_webhook_url: the public HTTPS URL Telegram posts updates to, registered by
            `make telegram-webhook` (`TELEGRAM_WEBHOOK_URL`).
        telegram_webhook_secret: the secret Telegram sends with every update; derived from the token when
            unset (`TELEGRAM_WEBHOOK_SECRET`).
        telegram_redis_url: Redis shared by replicas, so that a retried Telegram update is answered once even
            when it reaches another replica; memory only when unset (`REDIS_URL`).
        feedback_salt: secret key of the conversation hash stored with feedback; None means a random salt
            generated once into var/feedback-salt (`FEEDBACK_SALT`; replicas on several machines must share it).
        feedback_retention_days: how long votes, reasons, unanswered questions and counted turns are kept
            (`FEEDBACK_RETENTION_DAYS`).
        eval_saved_file: where the traffic page saves real messages as evaluation questions (`EVAL_SAVED_FILE`;
            never the held-out sets in tests/eval/).
        tracker_store_url: SQLAlchemy URL of the scaled setup's PostgreSQL tracker store
            (`TRACKER_STORE_URL`; by default `DATABASE_URL` when that is PostgreSQL, else none).
        lock_store_url: Redis URL of the scaled setup's lock store (`LOCK_STORE_URL`).
        lock_key_prefix: prefix of the lock keys in Redis, so several bots can share one (`LOCK_KEY_PREFIX`).
        replicas: how many Rasa servers and action servers the scaled setup runs (`REPLICAS`).
        tracker_retention_days: conversations whose last event is older than this are deleted, daily by the
            running bot and by `make purge`; 0 keeps them forever (`TRACKER_RETENTION_DAYS`).
        cors_origins: the web origins (`https://site.example`) allowed to call the bot from their pages, e.g.
            sites that embed the widget; none by default (`CORS_ORIGINS`, separated by commas or spaces).
        max_request_bytes: largest request body any route of the Rasa server accepts; larger ones get 413
            before the body is read (`MAX_REQUEST_BYTES`).
        client_rate_per_minute: requests one client address may send per minute, on average, to any route;
            0 turns the limit off (`CLIENT_RATE_PER_MINUTE`).
        client_rate_burst: requests one client address may send at once before the rate applies
            (`CLIENT_RATE_BURST`).
        trusted_proxies: addresses whose `X-Forwarded-For` names the client (nginx in front of the bot)
            (`TRUSTED_PROXIES`, separated by commas or spaces).
        rest_api_keys: the REST integrators' API keys as `name=key` pairs separated by commas; required (with
            at least one pair) when the server faces more than this machine (`REST_API_KEYS`; bot.channels.rest).
        privacy_url: a page about how conversations are kept, linked from the privacy notice (`PRIVACY_URL`).
        widget_secret: key that signs the widget's session ids; None means a random key generated once into
            var/widget-secret (`WIDGET_SECRET`; replicas on several machines must share it).
        widget_max_connections_per_ip: Socket.IO connections one client address may hold at once; 0 turns
            the limit off (`WIDGET_MAX_CONNECTIONS_PER_IP`).
        local_numbers: the emergency, crisis and poison numbers replies give, and a person to talk to
            (`EMERGENCY_NUMBERS`, `CRISIS_NUMBERS`, `POISON_NUMBERS`, `HUMAN_HELP_URL`, `HUMAN_HELP_PHONE`,
            `HUMAN_HELP_NAME`; bot/emergency_numbers.py). Unset: the US, UK and EU numbers, nobody to talk to.
    """

    database_url: str
    content_dir: Path
    nlp_dir: Path
    model_dir: Path
    tracker_db: Path
    host: str
    rasa_port: int
    action_port: int
    rasa_api_token: str | None
    answer_threshold: float
    max_message_chars: int
    require_services: bool
    content_reload_seconds: float = 5.0
    editor_token: str | None = None
    editor_accounts: Path = VAR_DIR / "editors.json"
    editor_audit_log: Path = VAR_DIR / "editor-audit.jsonl"
    rest_max_body_bytes: int = 16_384
    rest_rate_per_minute: float = 300.0
    rest_rate_burst: int = 100
    rest_max_in_flight: int = 8
    telegram_bot_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_redis_url: str | None = None
    feedback_salt: str | None = None
    feedback_retention_days: int = 180
    eval_saved_file: Path = PROJECT_ROOT / "content" / "eval" / "saved.yml"
    tracker_store_url: str | None = None
    lock_store_url: str = "redis://127.0.0.1:6379/1"
    lock_key_prefix: str = "spasticity"
    replicas: int = 2
    tracker_retention_days: int = 30
    cors_origins: tuple[str, ...] = ()
    max_request_bytes: int = 262_144
    client_rate_per_minute: float = 300.0
    client_rate_burst: int = 60
    trusted_proxies: tuple[str, ...] = ("127.0.0.1",)
    rest_api_keys: str | None = None
    privacy_url: str | None = None
    widget_secret: str | None = None
    widget_max_connections_per_ip: int = 20
    local_numbers: LocalNumbers = DEFAULT_NUMBERS

    @property
    def action_endpoint_url(self) -> str:
        """The webhook URL Rasa calls to run custom actions: always on loopback.

        The action servers have no authentication, so they listen on 127.0.0.1 whatever `BOT_HOST` says
        (`bot.server_commands.child_env`); only the Rasa server (or nginx in front of it) faces clients.
        """
        return f"http://{INTERNAL_HOST}:{self.action_port}/webhook"

    @classmethod
    def from_env(cls) -> Settings:
        """Reads the settings from the environment (see `.env.example`)."""
        default_db = f"sqlite:///{VAR_DIR / 'content.db'}"
        token = os.environ.get("RASA_API_TOKEN", "").strip() or None
        return cls(
            database_url=os.environ.get("DATABASE_URL", "").strip() or default_db,
            content_dir=_path(os.environ.get("CONTENT_DIR", "content")),
            nlp_dir=_path(os.environ.get("NLP_MODEL_DIR", "var/nlp/spasticity_en")),
            model_dir=_path(os.environ.get("MODEL_DIR", "models")),
            tracker_db=_path(os.environ.get("TRACKER_DB", "var/tracker.db")),
            host=os.environ.get("BOT_HOST", "").strip() or "127.0.0.1",
            rasa_port=_int("RASA_PORT", 5005),
            action_port=_int("ACTION_PORT", 5055),
            rasa_api_token=token,
            answer_threshold=_float("ANSWER_THRESHOLD", 0.22),
            max_message_chars=_int("MAX_MESSAGE_CHARS", 1000),
            require_services=_flag("REQUIRE_SERVICES"),
            content_reload_seconds=_float("CONTENT_RELOAD_SECONDS", 0.0),
            editor_token=os.environ.get("EDITOR_TOKEN", "").strip() or None,
            editor_accounts=_path(os.environ.get("EDITOR_ACCOUNTS", "").strip() or "var/editors.json"),
            editor_audit_log=_path(os.environ.get("EDITOR_AUDIT_LOG", "").strip() or "var/editor-audit.jsonl"),
            rest_max_body_bytes=_int("REST_MAX_BODY_BYTES", 16_384),
            rest_rate_per_minute=_float("REST_RATE_PER_MINUTE", 300.0),
            rest_rate_burst=_int("REST_RATE_BURST", 100),
            rest_max_in_flight=_int("REST_MAX_IN_FLIGHT", 8),
            telegram_bot_token=os.environ.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            telegram_api_url=os.environ.get("TELEGRAM_API_URL", "").strip() or "https://api.telegram.org",
            telegram_webhook_url=os.environ.get("TELEGRAM_WEBHOOK_URL", "").strip() or None,
            telegram_webhook_secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None,
            telegram_redis_url=os.environ.get("REDIS_URL", "").strip() or None,
            feedback_salt=os.environ.get("FEEDBACK_SALT", "").strip() or None,
            feedback_retention_days=_int("FEEDBACK_RETENTION_DAYS", 180),
            eval_saved_file=_path(os.environ.get("EVAL_SAVED_FILE", "").strip() or "content/eval/saved.yml"),
            tracker_store_url=_tracker_store_url(),
            lock_store_url=os.environ.get("LOCK_STORE_URL", "").strip() or "redis://127.0.0.1:6379/1",
            lock_key_prefix=os.environ.get("LOCK_KEY_PREFIX", "").strip() or "spasticity",
            replicas=_int("REPLICAS", 2),
            tracker_retention_days=_int("TRACKER_RETENTION_DAYS", 30),
            cors_origins=_words("CORS_ORIGINS", ()),
            max_request_bytes=_int("MAX_REQUEST_BYTES", 262_144),
            client_rate_per_minute=_float("CLIENT_RATE_PER_MINUTE", 300.0),
            client_rate_burst=_int("CLIENT_RATE_BURST", 60),
            trusted_proxies=_words("TRUSTED_PROXIES", ("127.0.0.1",)),
            rest_api_keys=os.environ.get("REST_API_KEYS", "").strip() or None,
            privacy_url=os.environ.get("PRIVACY_URL", "").strip() or None,
            widget_secret=os.environ.get("WIDGET_SECRET", "").strip() or None,
            widget_max_connections_per_ip=_int("WIDGET_MAX_CONNECTIONS_PER_IP", 20),
            local_numbers=_local_numbers(),
        )


def _local_numbers() -> LocalNumbers:
    """The numbers and the person to talk to a deployment configures, checked (ValueError names what is wrong)."""

    def raw(name: str) -> str:
        return os.environ.get(name, "").strip()

    url, phone = raw("HUMAN_HELP_URL"), raw("HUMAN_HELP_PHONE")
    if raw("HUMAN_HELP_NAME") and not (url or phone):
        raise ValueError("HUMAN_HELP_NAME is set but neither HUMAN_HELP_URL nor HUMAN_HELP_PHONE: set one of them")
    return from_settings(
        emergency=parse_numbers(raw("EMERGENCY_NUMBERS"), "EMERGENCY_NUMBERS"),
        crisis=parse_numbers(raw("CRISIS_NUMBERS"), "CRISIS_NUMBERS"),
        poison=parse_numbers(raw("POISON_NUMBERS"), "POISON_NUMBERS"),
        human_url=check_url(url, "HUMAN_HELP_URL") if url else None,
        human_phone=check_number(phone, "HUMAN_HELP_PHONE") if phone else None,
        human_name=" ".join(raw("HUMAN_HELP_NAME").split()) or None,
    )


def _tracker_store_url() -> str | None:
    """The scaled setup keeps conversations beside the content unless told otherwise."""
    explicit = os.environ.get("TRACKER_STORE_URL", "").strip()
    content = os.environ.get("DATABASE_URL", "").strip()
    return explicit or (content if content.startswith("postgresql") else None)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use rather than at import."""
    return Settings.from_env()
