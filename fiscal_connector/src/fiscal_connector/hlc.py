"""Hybrid logical clock for the outbox's FIFO order.

A timestamp packs wall-clock milliseconds and a logical counter into one
sortable integer. The outbox keeps the last one it issued and ticks it inside
the enqueue transaction, so order survives restarts, several writer processes
and a wall clock that steps backwards (the counter then carries the order).
"""

import datetime
import time

LOGICAL_BITS = 16
LOGICAL_MAX = (1 << LOGICAL_BITS) - 1


def pack(millis, logical):
    return (millis << LOGICAL_BITS) | logical


def unpack(stamp):
    return stamp >> LOGICAL_BITS, stamp & LOGICAL_MAX


def wall_millis():
    return time.time_ns() // 1_000_000


def tick(last, now_millis=None):
    """Return the next timestamp after `last`, given the wall clock."""
    now_millis = wall_millis() if now_millis is None else now_millis
    last_millis, last_logical = unpack(last)
    if now_millis > last_millis:
        return pack(now_millis, 0)
    if last_logical < LOGICAL_MAX:
        return pack(last_millis, last_logical + 1)
    return pack(last_millis + 1, 0)  # counter exhausted: borrow the next millisecond


def to_text(stamp):
    """Readable form: UTC time to the millisecond and the logical counter."""
    millis, logical = unpack(stamp)
    moment = datetime.datetime.fromtimestamp(millis / 1000, datetime.timezone.utc)
    return "%s.%03dZ/%d" % (moment.strftime("%Y-%m-%dT%H:%M:%S"), millis % 1000, logical)
