-- Outbox schema v4: an enqueue does less.
-- * The capacity check reads one counter beside the admission mark (the
--   admitted entries not yet done, dead letters included), kept by triggers in
--   the drain's transactions, instead of a row per device and state.
-- * The entry table is rebuilt:
--   - no body_hash column: a queued entry is compared by its body; only a
--     purged entry's tombstone keeps a hash, computed when it is purged;
--   - no IN list over constants in the state check or the queue index: SQLite
--     builds a temporary b-tree for an IN list of more than two values each
--     time a statement runs, so every insert built two.
-- Rows keep their ids, so the admission mark and the clock carry over.
PRAGMA defer_foreign_keys = ON;

ALTER TABLE entry RENAME TO entry_v3;

CREATE TABLE entry (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,          -- caller-given idempotency key, sent as the protocol's key
    device          TEXT NOT NULL,
    operation       TEXT NOT NULL,
    body            TEXT NOT NULL,                 -- canonical receipt JSON
    hlc             INTEGER NOT NULL,              -- hybrid logical clock: FIFO order per device
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state = 'pending' OR state = 'sending' OR state = 'done'
                           OR state = 'retry_wait' OR state = 'unknown' OR state = 'dead'),
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
    done_at         REAL,
    admitted        INTEGER NOT NULL DEFAULT 0     -- 1: in the queue index and the counters
);

INSERT INTO entry (id, key, device, operation, body, hlc, state, submitted, attempts,
                   next_attempt_at, last_error, result, backend_ref, after_key, claim,
                   notified, created_at, updated_at, done_at, admitted)
SELECT id, key, device, operation, body, hlc, state, submitted, attempts,
       next_attempt_at, last_error, result, backend_ref, after_key, claim,
       notified, created_at, updated_at, done_at, admitted
FROM entry_v3 ORDER BY id;

-- Its indexes and triggers went with it.
DROP TABLE entry_v3;

ALTER TABLE intake ADD COLUMN undelivered INTEGER NOT NULL DEFAULT 0;
UPDATE intake SET undelivered = (SELECT COUNT(*) FROM entry WHERE admitted = 1 AND state != 'done');

-- The per-device queue: admitted, unfinished entries in HLC order.
CREATE INDEX entry_queue ON entry (device, hlc, id)
    WHERE admitted = 1 AND state NOT IN ('done', 'dead');
CREATE INDEX entry_unnotified ON entry (id) WHERE state IN ('done', 'dead') AND notified = 0;
CREATE INDEX entry_done ON entry (device, done_at) WHERE state = 'done';
CREATE INDEX entry_dead ON entry (device, id) WHERE state = 'dead';
CREATE INDEX entry_after_key ON entry (after_key) WHERE after_key IS NOT NULL;

-- Per device and state counters of admitted entries.
CREATE TRIGGER entry_stats_admit AFTER UPDATE OF admitted ON entry
WHEN OLD.admitted = 0 AND NEW.admitted = 1 BEGIN
    INSERT INTO stats (device, state, n) VALUES (NEW.device, NEW.state, 1)
        ON CONFLICT (device, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER entry_stats_update AFTER UPDATE OF state ON entry WHEN OLD.state != NEW.state BEGIN
    UPDATE stats SET n = n - 1 WHERE device = OLD.device AND state = OLD.state;
    INSERT INTO stats (device, state, n) VALUES (NEW.device, NEW.state, 1)
        ON CONFLICT (device, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER entry_stats_delete AFTER DELETE ON entry WHEN OLD.admitted = 1 BEGIN
    UPDATE stats SET n = n - 1 WHERE device = OLD.device AND state = OLD.state;
END;

-- The count of admitted entries not yet done, for the capacity check.
CREATE TRIGGER entry_undelivered_admit AFTER UPDATE OF admitted ON entry
WHEN OLD.admitted = 0 AND NEW.admitted = 1 AND NEW.state != 'done' BEGIN
    UPDATE intake SET undelivered = undelivered + 1;
END;

CREATE TRIGGER entry_undelivered_update AFTER UPDATE OF state ON entry
WHEN NEW.admitted = 1 AND (OLD.state = 'done') != (NEW.state = 'done') BEGIN
    UPDATE intake SET undelivered = undelivered + CASE WHEN NEW.state = 'done' THEN -1 ELSE 1 END;
END;

CREATE TRIGGER entry_undelivered_delete AFTER DELETE ON entry
WHEN OLD.admitted = 1 AND OLD.state != 'done' BEGIN
    UPDATE intake SET undelivered = undelivered - 1;
END;
