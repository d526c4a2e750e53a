-- Outbox schema v4. The capacity check of every enqueue read the per-device
-- counters (a row per device and state); it now reads one counter beside the
-- admission mark: the admitted entries not yet done (dead letters included).
-- Kept by triggers in the drain's transactions, never in the sale's.
ALTER TABLE intake ADD COLUMN undelivered INTEGER NOT NULL DEFAULT 0;
UPDATE intake SET undelivered = (SELECT COUNT(*) FROM entry WHERE admitted = 1 AND state != 'done');

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
