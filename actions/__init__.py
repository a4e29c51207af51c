"""Custom actions for Rasa; the logic lives in `bot`.

rasa-sdk imports this package before it serves anything, so the settings are checked here (no file, database
or network is touched): an action server with an invalid setting, such as a malformed `EMERGENCY_NUMBERS`,
refuses to start and says what is wrong, instead of failing at its first reply.
"""

from bot.config import Settings

try:
    Settings.from_env()
except ValueError as error:
    raise SystemExit(f"The action server cannot start: {error}") from None
