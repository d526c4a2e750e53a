-- Outbox schema v1. Applied by fiscal_connector.outbox in one transaction,
-- which then sets PRAGMA user_version = 1.

CREATE TABLE entry (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,          -- caller-given idempotency key, sent as the protocol's key
    device          TEXT NOT NULL,
    operation       TEXT NOT NULL,
    body            TEXT NOT NULL,                 -- canonical receipt JSON
    body_hash       TEXT NOT NULL,                 -- sha256 of body: idempotency and tombstones
    hlc             INTEGER NOT NULL,              -- hybrid logical clock: FIFO order per device
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'done', 'retry_wait', 'unknown', 'dead')),
    submitted       INTEGER NOT NULL DEFAULT 0,    -- 1: a submit may have reached the backend: query first
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error      TEXT,
    result          TEXT,                          -- FiscalResult JSON once done
    backend_ref     TEXT,                          -- what the backend handed back to find the document again
    after_key       TEXT REFERENCES entry (key) ON DELETE SET NULL,
    claim           TEXT,                          -- token of the drainer that set state = sending
    notified        INTEGER NOT NULL DEFAULT 0,    -- on_result delivered for the current final state
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    done_at         REAL
);

-- The per-device queue: only unfinished entries, in HLC order.
CREATE INDEX entry_queue ON entry (device, hlc, id)
    WHERE state IN ('pending', 'sending', 'retry_wait', 'unknown');
CREATE INDEX entry_unnotified ON entry (id) WHERE state IN ('done', 'dead') AND notified = 0;
CREATE INDEX entry_done ON entry (device, done_at) WHERE state = 'done';
CREATE INDEX entry_dead ON entry (device, id) WHERE state = 'dead';
CREATE INDEX entry_after_key ON entry (after_key) WHERE after_key IS NOT NULL;

-- Done entries removed by purge keep their key, so a late re-enqueue stays a no-op.
CREATE TABLE purged (
    key       TEXT PRIMARY KEY,
    device    TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    done_at   REAL
) WITHOUT ROWID;

CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('hlc', 0);

-- Per device and state counts, kept by triggers: capacity and status never scan the queue.
CREATE TABLE stats (
    device TEXT NOT NULL,
    state  TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (device, state)
) WITHOUT ROWID;

CREATE TRIGGER entry_stats_insert AFTER INSERT ON entry BEGIN
    INSERT INTO stats (device, state, n) VALUES (NEW.device, NEW.state, 1)
        ON CONFLICT (device, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER entry_stats_update AFTER UPDATE OF state ON entry WHEN OLD.state != NEW.state BEGIN
    UPDATE stats SET n = n - 1 WHERE device = OLD.device AND state = OLD.state;
    INSERT INTO stats (device, state, n) VALUES (NEW.device, NEW.state, 1)
        ON CONFLICT (device, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER entry_stats_delete AFTER DELETE ON entry BEGIN
    UPDATE stats SET n = n - 1 WHERE device = OLD.device AND state = OLD.state;
END;

CREATE TABLE device_info (
    device        TEXT PRIMARY KEY,
    last_success  REAL,
    last_error    TEXT,
    last_error_at REAL
) WITHOUT ROWID;
