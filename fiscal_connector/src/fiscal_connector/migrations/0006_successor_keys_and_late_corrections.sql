-- Outbox schema v6: an entry may be sent under successor keys, and late as a correction.
-- * spent_keys: the keys the entry was sent under before, each confirmed by the backend
--   to hold no document (JSON list of {"key", "reason", "at"}); the entry is sent under
--   successor_key(key, number of spent keys).
-- * late_correction: the basis (JSON {"type", "base_date"}) it is sent with as a
--   correction receipt, decided once, before its first send after its settlement day.
ALTER TABLE entry ADD COLUMN spent_keys TEXT;
ALTER TABLE entry ADD COLUMN late_correction TEXT;
-- * shift_renewed_at: when the drain last closed and reopened the register's shift
--   because the register refused a receipt for it.
ALTER TABLE device_info ADD COLUMN shift_renewed_at REAL;
