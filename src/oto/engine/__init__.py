"""OTO's engine: Temporal workflows, activities and workers that run jobs and routines durably.

Every run goes through Temporal: the CLI and the API only submit, cancel and wait through
``oto.engine.client``; a job's process is only ever spawned by a worker's activity. This package
imports nothing at its top, so workflow sandboxes can import its small modules cheaply.
"""
