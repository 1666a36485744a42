"""AEM author emulator: ``jcr.py`` (the repository), ``models.py`` (Sling POST operations, the
"Adobe Experience Cloud" configuration, replication agents and Test Connection), ``shares.py``
(folder shares and the Creative Cloud connection) and ``routes.py`` (HTTP)."""
