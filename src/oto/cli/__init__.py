"""The ``oto`` command line: parse, call a service, render. No logic of its own."""

from __future__ import annotations

import gc


def main() -> None:
    """The ``oto`` program (its console script and ``python -m oto``); ``oto.cli.app`` wires the verbs.

    Python's cyclic garbage collector is held off while the modules load: loading creates hundreds
    of thousands of objects that live as long as the process, and collecting again and again while
    they pile up took a third of a catalog verb's time. ``oto.cli.app.main`` turns it back on, with
    what was loaded frozen, before the verb runs: a worker or a server collects as usual.
    """
    gc.disable()
    from oto.cli.app import main as run

    run()
