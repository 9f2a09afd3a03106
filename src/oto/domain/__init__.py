"""Value types, argv rendering, the database models and their migrations."""
