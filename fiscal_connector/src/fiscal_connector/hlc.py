"""Hybrid logical clock for the outbox's FIFO order.

A timestamp packs wall-clock milliseconds and a logical counter into one
sortable integer. Inside the enqueue transaction the outbox stamps a new entry
after(newest entry's stamp): the wall clock while it moves on, otherwise the
counter (which carries into the next millisecond when full). So
order survives restarts, several writer processes and a wall clock that steps
backwards.
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


def wall_stamp():
    """The wall clock now, as the smallest stamp of its millisecond."""
    return pack(wall_millis(), 0)


def after(previous):
    """The stamp of an event that follows the one stamped `previous`."""
    return max(wall_stamp(), previous + 1)


def to_text(stamp):
    """Readable form: UTC time to the millisecond and the logical counter."""
    millis, logical = unpack(stamp)
    moment = datetime.datetime.fromtimestamp(millis / 1000, datetime.timezone.utc)
    return "%s.%03dZ/%d" % (moment.strftime("%Y-%m-%dT%H:%M:%S"), millis % 1000, logical)
