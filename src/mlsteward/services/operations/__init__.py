"""Every operation a client can call, declared once, and the one seam that runs them.

A declaration (:class:`Operation`) names the operation, its request and response, the action
and the kind of resource it touches (for the policy), whether it changes state (for the
audit record) and its HTTP method and path. The REST routes are mounted from the
declarations, the SDK's HTTP transport sends them, and its in-process transport calls
:func:`dispatch` directly, which is also what every route calls: the policy check and the
audit record happen there, once, for every door.
"""

from mlsteward.services.operations.audit import AuditEvent, AuditRecorder, NoAudit
from mlsteward.services.operations.declaration import Operation, OperationRequest
from mlsteward.services.operations.dispatcher import dispatch
from mlsteward.services.operations.kinds import Action, ResourceKind, WireForm
from mlsteward.services.operations.policy import AllowEverything, Decision, Policy, Resource

__all__ = [
    "Action",
    "AllowEverything",
    "AuditEvent",
    "AuditRecorder",
    "Decision",
    "NoAudit",
    "Operation",
    "OperationRequest",
    "Policy",
    "Resource",
    "ResourceKind",
    "WireForm",
    "dispatch",
]
