"""One pybreaker circuit breaker per device, its state in Redis when Redis is there.

Only transport failures count (TransientBackendError: connection errors,
timeouts, 5xx, malformed answers): a rejected receipt says the register is
alive and never opens the circuit.
"""

import datetime
import logging
import sys

import pybreaker

from .errors import TransientBackendError

_logger = logging.getLogger(__name__)


def _not_transport_failure(error):
    return not isinstance(error, TransientBackendError)


class _OneLineLogger(logging.LoggerAdapter):
    """pybreaker logs every Redis failure with a traceback; one line says enough."""

    def exception(self, msg, *args, **kwargs):
        self.warning(msg + " (%s)", *args, sys.exc_info()[1])


class _RedisStorage(pybreaker.CircuitRedisStorage):
    """pybreaker's Redis storage, logging under the connector's name, one line per failure."""

    logger = _OneLineLogger(logging.getLogger(__name__ + ".redis"), {})


class _LogListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state):
        _logger.info(
            "Circuit breaker of device %s: %s -> %s",
            cb.name,
            old_state.name if old_state else "-",
            new_state.name,
        )


def make_breaker(device_code, fail_max, reset_timeout, redis_client=None, prefix=""):
    storage = None
    if redis_client is not None:
        storage = _RedisStorage(
            pybreaker.STATE_CLOSED, redis_client, namespace=f"{prefix}fiscal:breaker:{device_code}"
        )
    return pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_timeout,
        exclude=[_not_transport_failure],
        listeners=[_LogListener()],
        state_storage=storage,
        name=device_code,
        throw_new_error_on_trip=False,  # the caller sees the real transport error
    )


def seconds_until_trial(breaker):
    """0 when calls may go through; else how long the open breaker still refuses them."""
    if breaker.current_state != pybreaker.STATE_OPEN:
        return 0.0
    opened_at = breaker._state_storage.opened_at  # noqa: SLF001 - pybreaker exposes no getter
    if opened_at is None:
        return 0.0
    reopen = opened_at + datetime.timedelta(seconds=breaker.reset_timeout)
    return max((reopen - datetime.datetime.now(datetime.timezone.utc)).total_seconds(), 0.0)
