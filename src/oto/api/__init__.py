"""The REST API: the service layer over HTTP, with API keys and RFC 9457 problems."""
