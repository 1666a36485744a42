"""Errors of the kinds' own machinery, in the engine's ``ProviderError`` family (see
``reconciler.engine.errors``): the applier records them as the action's failure, and a plan that
meets one during refresh stops with its message.

    ProviderError (reconciler.engine)
    └── KindError
        ├── ConnectionMissing   a spec names a connection that does not exist or has another type
        └── NotFound            a spec names an object the service does not have (the message lists
                                what it has, with did-you-mean)
"""

from __future__ import annotations

from reconciler.engine import ProviderError


class KindError(ProviderError):
    """Base class of errors raised by the kinds' shared machinery (not by a service)."""


class ConnectionMissing(KindError):
    """A spec names a connection that does not exist or has the wrong type."""


class NotFound(KindError):
    """A spec names an object (a Workfront project, a group) the service does not have; the
    message names it and lists what exists (``config.diagnostics.not_found``)."""
