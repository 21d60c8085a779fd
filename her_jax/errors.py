"""The error every check of user input raises, so that a command line can tell it from a bug,
and the scripts' one-line exits."""

from __future__ import annotations

import contextlib
import sys

from her_jax.interrupt import Stopped


class ConfigError(ValueError):
    """Bad configuration or input, found before anything is compiled; the message names the
    problem and, where there are some, the valid choices. A ValueError, so code that catches
    those catches it too."""


@contextlib.contextmanager
def exit_in_one_line():
    """For the scripts' command lines: a ConfigError ends the program with its message on one
    line and exit status 2, as a bad flag does; a run stopped by Ctrl-C or SIGTERM once its
    epoch is checkpointed (`interrupt.Stopped`) ends with one line and status 1; any other
    error keeps its traceback."""
    try:
        yield
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except Stopped as stopped:  # run() has checkpointed the last epoch and said so
        raise SystemExit(f"{stopped}; --resume continues") from None
