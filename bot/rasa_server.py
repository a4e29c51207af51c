"""`python -m bot.rasa_server run ...`: Rasa's own command line, with the bot's patches to Rasa 3.6 installed first.

Every Rasa server of the bot (`make run`, `make shell`, `make run-scaled`, the tests, Kubernetes) starts through
this module instead of `python -m rasa`, so the patches in `bot/rasa_patches/` hold in every process that
answers a person, and a Rasa other than 3.6.x is refused before anything starts. The arguments are Rasa's,
unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot import rasa_patches
from bot.config import Settings


def main(argv: Sequence[str] | None = None) -> None:
    """Runs Rasa's command line (`rasa run`, `rasa shell`, ...) with the patches installed.

    Exits with status 2 and the guard's message when the installed Rasa is not 3.6.x, or with what is wrong
    when a setting is invalid (say, `EMERGENCY_NUMBERS`): a server that would give the wrong numbers or fail
    at its first reply never starts.
    """
    try:
        Settings.from_env()
        rasa_patches.install()
    except (ValueError, rasa_patches.UnsupportedRasaVersion) as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
