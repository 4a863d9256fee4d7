"""One file per schema revision, applied in order (see selector/store/migrate.py)."""
