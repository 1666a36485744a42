"""Renderers: plans, apply progress and diagnostics as terminal text (and later JSON, Markdown)."""
