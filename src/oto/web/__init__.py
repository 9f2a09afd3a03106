"""What the REST API and the dashboard share: who is calling (keys and sessions) and the served app."""
