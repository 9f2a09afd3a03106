"""The ``oto`` command line: parse, call a service, render. No logic of its own."""
