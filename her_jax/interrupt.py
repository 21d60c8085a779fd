"""Ctrl-C or a scheduler's SIGTERM during training: finish the epoch, checkpoint it, stop.

An epoch runs inside one compiled call with the state donated to it, so the
state of the last finished epoch no longer exists once the next one has
started: stopping at once would lose everything since the last checkpoint.
`StopRequest` turns the first SIGINT or SIGTERM into a flag that the run loop
reads after each epoch; a second signal stops at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from tqdm import tqdm


class Stopped(KeyboardInterrupt):
    """What `run` raises once a signal's epoch is checkpointed, so its caller stops too."""


class StopRequest:
    """Between `install()` and `restore()`, remembers the first SIGINT / SIGTERM in `signal`.

    Signal handlers can only be set from the main thread; elsewhere (and when not `active`)
    it does nothing and the signals keep their usual effect.
    """

    def __init__(self, active: bool = True):
        self.active = active and threading.current_thread() is threading.main_thread()
        self.signal: int | None = None
        self._previous: dict[int, object] = {}

    def install(self) -> StopRequest:
        if self.active:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame) -> None:
        if self.signal is not None:  # the second one: stop now, as without this class
            raise KeyboardInterrupt
        self.signal = signum
        # RuntimeError: the signal came in the middle of a write to the same stream
        with contextlib.suppress(RuntimeError):
            tqdm.write(
                f"{signal.Signals(signum).name}: stopping after this epoch to checkpoint it "
                "(once more to stop at once)"
            )

    def restore(self) -> None:
        """Put back the handlers `install` replaced."""
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
