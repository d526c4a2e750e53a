-- Outbox schema v5: what every process on the host reads from the file itself.
-- * The circuit breaker of each device, when there is no Redis to share it
--   (pybreaker's storage), so `status` shows what the drainer sees.
-- * Per device: since when the backend fails to answer, why the device is
--   paused (a configuration error, with a hash of the settings it was seen
--   with), when its shift was opened, and the counters the metrics export:
--   attempts by result and their latency by histogram bucket.
CREATE TABLE breaker (
    device          TEXT PRIMARY KEY,
    state           TEXT NOT NULL DEFAULT 'closed',
    fail_counter    INTEGER NOT NULL DEFAULT 0,
    success_counter INTEGER NOT NULL DEFAULT 0,
    opened_at       REAL                            -- epoch seconds
) WITHOUT ROWID;

ALTER TABLE device_info ADD COLUMN unreachable_since REAL;
ALTER TABLE device_info ADD COLUMN paused_reason TEXT;
ALTER TABLE device_info ADD COLUMN paused_settings TEXT;  -- config_fingerprint() when paused
ALTER TABLE device_info ADD COLUMN paused_at REAL;
ALTER TABLE device_info ADD COLUMN shift_opened_at REAL;
ALTER TABLE device_info ADD COLUMN latency_seconds_sum REAL NOT NULL DEFAULT 0;

CREATE TABLE attempt_count (
    device TEXT NOT NULL,
    result TEXT NOT NULL,                           -- done | retry | unknown | dead
    n      INTEGER NOT NULL,
    PRIMARY KEY (device, result)
) WITHOUT ROWID;

CREATE TABLE latency_count (
    device TEXT NOT NULL,
    le     REAL NOT NULL,                           -- the bucket's upper bound in seconds
    n      INTEGER NOT NULL,
    PRIMARY KEY (device, le)
) WITHOUT ROWID;
