"""Adobe IMS emulator: ``models.py`` (clients, tokens, JWT exchange) and ``routes.py`` (HTTP)."""
