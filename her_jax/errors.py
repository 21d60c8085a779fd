"""The error every check of user input raises, so that a command line can tell it from a bug."""

from __future__ import annotations

import contextlib
import sys


class ConfigError(ValueError):
    """Bad configuration or input, found before anything is compiled; the message names the
    problem and, where there are some, the valid choices. A ValueError, so code that catches
    those catches it too."""


@contextlib.contextmanager
def exit_on_config_error():
    """For the scripts' command lines: a ConfigError ends the program with its message on one
    line and exit status 2, as a bad flag does; any other error keeps its traceback."""
    try:
        yield
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
