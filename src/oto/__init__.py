"""OTO: run command-line programs as safe, scheduled, durable workflows on Temporal."""

__version__ = "0.1.0"
