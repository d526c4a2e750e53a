"""Errors of the fiscal connector core, each with a message fit for a person."""


def quoted(value, limit=80):
    """A value as a message quotes it: its repr, at most `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FiscalError(Exception):
    """Base class of every error the core raises on purpose.

    `kind` names the error for a front end that words it in its user's language (the
    message itself is English, for logs and the command line): see error_kind().
    """

    kind = "error"


class ReceiptValidationError(FiscalError, ValueError):
    """A receipt breaks an FFD 1.2 rule; nothing was queued or sent."""

    kind = "invalid"


class OutboxError(FiscalError):
    """The outbox refused an operation; what is already queued is untouched."""


class OutboxFullError(OutboxError):
    """Capacity or disk space exhausted; the new entry was not written."""


class OutboxCorruptError(OutboxError):
    """The outbox file failed its integrity check on open."""


class IdempotencyConflictError(OutboxError):
    """Same idempotency key enqueued again with a different body."""


class TransientBackendError(FiscalError):
    """Transport error, timeout or 5xx: the outcome at the backend is unknown."""

    kind = "unreachable"


class PermanentBackendError(FiscalError):
    """The backend rejected the document; nothing was registered for it."""

    kind = "refused"

    def __init__(self, message, code=None, kind=None):
        super().__init__(message)
        self.code = code
        if kind:
            self.kind = kind


class BackendConfigError(PermanentBackendError):
    """The backend refused the device's settings (credentials, group, URL): nothing is
    wrong with the receipt, so the device pauses until its settings change."""

    kind = "settings"


def error_kind(kind, code=None):
    """What the outbox keeps beside an error's English text: its kind, and the backend's
    error code where there is one ("refused:234", "settings:12", "unreachable")."""
    return f"{kind}:{code}" if code is not None else kind
