"""Workfront emulator: ``seed.py`` (its table and seeded objects), ``models.py`` (objects, fields,
filters, actions, the native integration's settings) and ``routes.py`` (HTTP)."""
