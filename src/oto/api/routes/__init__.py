"""One router per resource; each route declares the scope it needs."""
