"""User Management API emulator: ``models.py`` (users, groups, the ``/action`` command rules) and
``routes.py`` (HTTP)."""
