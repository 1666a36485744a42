"""``python -m reconciler.schemagen``: print the configuration JSON Schema (``schemas/config.schema.json``).

Generated from the kinds' pydantic models; ``tests/test_schema.py`` fails when the committed file is
stale. Regenerate with ``make schema``.
"""

from __future__ import annotations

import sys

from reconciler.config.schema import build_config_schema, render_schema_json
from reconciler.kinds import REGISTRY


def generate() -> str:
    """The schema as stable JSON text (sorted keys, trailing newline)."""
    return render_schema_json(build_config_schema(REGISTRY))


if __name__ == "__main__":
    sys.stdout.write(generate())
