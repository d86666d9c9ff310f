"""Progress of long runs on stderr, with tqdm when it is installed."""

import sys
import time


class Progress:
    """Progress over the fits on stderr: a tqdm bar, else one line per fit.

    Parameters
    ----------
    total : int
        Number of fits.
    enabled : bool
        False shows nothing.
    """

    def __init__(self, total, *, enabled):
        self.total = total
        self.enabled = enabled
        self._bar = None
        self._done = 0
        self._started = None

    def __enter__(self):
        # A bar redrawn with carriage returns is only readable in a terminal.
        if self.enabled and sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return self
            self._bar = tqdm(total=self.total, unit="fit", file=sys.stderr)
        return self

    def __exit__(self, *exc_info):
        if self._bar is not None:
            self._bar.close()

    def start(self, description):
        """Announce the next fit.

        Parameters
        ----------
        description : str
        """
        self._started = time.perf_counter()
        if self._bar is not None:
            self._bar.set_description(description)
        elif self.enabled:
            position = f"[{self._done + 1}/{self.total}]"
            print(f"{position} {description} ...", end="", file=sys.stderr, flush=True)

    def finish(self, *, failed=False):
        """Mark the current fit as done.

        Parameters
        ----------
        failed : bool, default=False
        """
        self._done += 1
        if self._bar is not None:
            self._bar.update(1)
        elif self.enabled and self._started is not None:
            seconds = time.perf_counter() - self._started
            outcome = "failed" if failed else f"{seconds:.1f} s"
            print(f" {outcome}", file=sys.stderr, flush=True)
        self._started = None
