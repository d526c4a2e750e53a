-- Outbox schema v7: beside each error's English text, its kind ("refused:234",
-- "unreachable", "settings:12", ...), for a front end that words it in its user's language.
ALTER TABLE entry ADD COLUMN last_error_kind TEXT;
ALTER TABLE device_info ADD COLUMN last_error_kind TEXT;
ALTER TABLE device_info ADD COLUMN paused_kind TEXT;
