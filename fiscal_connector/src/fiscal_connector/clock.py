"""The connector's clock: wall time for stamps and schedules, monotonic time for
deadlines, and the waits between attempts.

One object so that a test can run hours of outage and backoff in seconds by
handing the connector a clock of its own (Connector(..., clock=...)).
"""

import time


class Clock:
    def time(self):
        return time.time()

    def monotonic(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)

    def wait(self, event, seconds):
        """Wait for `event` at most `seconds`; True if it is set."""
        return event.wait(seconds)


SYSTEM_CLOCK = Clock()
