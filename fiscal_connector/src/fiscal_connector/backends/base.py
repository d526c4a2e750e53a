"""The one small interface every fiscal backend implements.

A backend speaks one documented protocol (see shared/fiscal-protocols.md) and
never invents a key: the outbox entry's idempotency key is sent as the
protocol's own dedup key (ATOL Web Server request uuid, ATOL Online
external_id), so a resend after an unknown outcome can never make a second
fiscal document.
"""

import abc
import dataclasses

from ..errors import PermanentBackendError


@dataclasses.dataclass(frozen=True)
class FiscalResult:
    """What the register returned for a fiscalized document (FFD tags)."""

    fn_number: str  # 1041
    fd_number: int  # 1040
    fiscal_sign: str  # 1077
    datetime: str  # 1012, ISO 8601
    shift_number: int  # 1038
    receipt_number: int  # 1042
    registration_number: str  # 1037
    total: str  # 1020, rubles.kopecks as a decimal string
    operation_type: int  # 1054
    qr: str = ""  # t=...&s=...&fn=...&i=...&fp=...&n=...

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data):
        return cls(**data)


# Outcome states: the backend's knowledge about one key.
DONE = "done"  # fiscalized: result is set
# accepted, not fiscalized yet (wait, inProgress, blocked, 34): poll, never resend
PENDING = "pending"
NOT_FOUND = "not_found"  # the backend has never seen this key: safe to submit it
FAILED = "failed"  # final failure for this key (report fail / task error): error is set


@dataclasses.dataclass(frozen=True)
class Outcome:
    state: str
    result: FiscalResult | None = None
    error: str | None = None


class Backend(abc.ABC):
    """A fiscal backend for one device.

    Methods raise TransientBackendError when the outcome is unknown
    (transport error, timeout, 5xx, malformed answer) and
    PermanentBackendError when the request itself is wrong.
    """

    @abc.abstractmethod
    def submit(self, key, operation, receipt):
        """Send a document under its idempotency key; return an Outcome.

        `operation` is one of fiscal_connector.receipt.OPERATIONS and
        `receipt` the receipt's canonical dict. A duplicate key (409 / 33)
        is not an error: the existing document is adopted.
        """

    @abc.abstractmethod
    def query(self, key):
        """Ask about a key already submitted (or maybe submitted); return an Outcome."""

    def run_task(self, task, params=None):
        """Run a non-fiscal register task (openShift, closeShift, reportX, ...)."""
        raise PermanentBackendError(f"Task {task} is not supported by this backend")

    def ping(self):
        """Check that the backend answers and the credentials work; return a short text."""
        raise NotImplementedError

    def close(self):  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections."""
