"""One pybreaker circuit breaker per device, its state in Redis when Redis is there,
else in the outbox file, so every process of the host sees what the drainer sees.

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


class OutboxBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker's state of one device kept in the outbox (its `breaker` table).

    pybreaker resets the failure counter after every successful call: that is a
    read here, and a write only when the counter was not zero already.
    """

    def __init__(self, outbox, device_code):
        super().__init__(device_code)
        self._outbox = outbox
        self._device = device_code

    def _row(self):
        return self._outbox.breaker(self._device)

    @property
    def state(self):
        return self._row()["state"]

    @state.setter
    def state(self, state):
        self._outbox.set_breaker(self._device, state=state)

    def increment_counter(self):
        self._outbox.add_to_breaker(self._device, "fail_counter")

    def reset_counter(self):
        if self._row()["fail_counter"]:
            self._outbox.set_breaker(self._device, fail_counter=0)

    def increment_success_counter(self):
        self._outbox.add_to_breaker(self._device, "success_counter")

    def reset_success_counter(self):
        if self._row()["success_counter"]:
            self._outbox.set_breaker(self._device, success_counter=0)

    @property
    def counter(self):
        return self._row()["fail_counter"]

    @property
    def success_counter(self):
        return self._row()["success_counter"]

    @property
    def opened_at(self):
        stamp = self._row()["opened_at"]
        if stamp is None:
            return None
        return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc)

    @opened_at.setter
    def opened_at(self, moment):
        self._outbox.set_breaker(self._device, opened_at=moment.timestamp())


class _LogListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state):
        _logger.info(
            "Circuit breaker of device %s: %s -> %s",
            cb.name,
            old_state.name if old_state else "-",
            new_state.name,
        )


def make_breaker(device_code, fail_max, reset_timeout, outbox, *, redis_client=None, prefix=""):
    if redis_client is not None:
        storage = _RedisStorage(
            pybreaker.STATE_CLOSED, redis_client, namespace=f"{prefix}fiscal:breaker:{device_code}"
        )
    else:
        storage = OutboxBreakerStorage(outbox, device_code)
    return pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_timeout,
        exclude=[_not_transport_failure],
        listeners=[_LogListener()],
        state_storage=storage,
        name=device_code,
        throw_new_error_on_trip=False,  # the caller sees the real transport error
    )


def opened_at(breaker):
    """When the breaker last opened (an aware datetime), or None."""
    return breaker._state_storage.opened_at  # noqa: SLF001 - pybreaker exposes no getter


def seconds_until_trial(breaker):
    """0 when calls may go through; else how long the open breaker still refuses them."""
    if breaker.current_state != pybreaker.STATE_OPEN:
        return 0.0
    opened = opened_at(breaker)
    if opened is None:
        return 0.0
    reopen = opened + datetime.timedelta(seconds=breaker.reset_timeout)
    return max((reopen - datetime.datetime.now(datetime.timezone.utc)).total_seconds(), 0.0)
