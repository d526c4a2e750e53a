-- Outbox schema v3. An enqueue (the sale's durable commit) writes only its row
-- and its key. The drain admits the rows that arrived since its last pass into
-- the per-device queue index and the counters, many at a time and off the
-- sale's path. Rows with id > intake.admitted_up_to are the arrivals.
ALTER TABLE entry ADD COLUMN admitted INTEGER NOT NULL DEFAULT 0;
UPDATE entry SET admitted = 1;

CREATE TABLE intake (admitted_up_to INTEGER NOT NULL);
INSERT INTO intake (admitted_up_to) SELECT COALESCE(MAX(id), 0) FROM entry;

DROP INDEX entry_queue;
CREATE INDEX entry_queue ON entry (device, hlc, id)
    WHERE admitted = 1 AND state IN ('pending', 'sending', 'retry_wait', 'unknown');

-- The counters cover admitted rows; the arrivals are counted from intake.
DROP TRIGGER entry_stats_insert;
CREATE TRIGGER entry_stats_admit AFTER UPDATE OF admitted ON entry
WHEN OLD.admitted = 0 AND NEW.admitted = 1 BEGIN
    INSERT INTO stats (device, state, n) VALUES (NEW.device, NEW.state, 1)
        ON CONFLICT (device, state) DO UPDATE SET n = n + 1;
END;

DROP TRIGGER entry_stats_delete;
CREATE TRIGGER entry_stats_delete AFTER DELETE ON entry WHEN OLD.admitted = 1 BEGIN
    UPDATE stats SET n = n - 1 WHERE device = OLD.device AND state = OLD.state;
END;
