"""aem-assets-reconciler: declarative plan/apply for AEM Assets integrations.

Layers (see docs/architecture.md): cli -> render/config/kinds/rules -> engine (Adobe-free);
kinds -> clients; sandbox is self-contained and imports nothing else from this package.
"""

__version__ = "0.1.0"
