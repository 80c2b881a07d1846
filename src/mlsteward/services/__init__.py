"""Services: every rule, validation and permission check lives here, once."""

from mlsteward.services.context import ServiceContext, local_actor

__all__ = ["ServiceContext", "local_actor"]
