"""Adobe Developer Console emulator: ``models.py`` (organizations, projects, workspaces,
credentials, subscriptions, bindings) and ``routes.py`` (HTTP)."""
