-- A neutralized copy (staging, tests) never reaches a real register or cloud account:
-- every register is archived, its credentials cleared and its endpoint pointed at a
-- reserved name that never resolves (RFC 2606), because the drain cron and the session's
-- shift open/close also serve archived registers that still hold queued receipts.
UPDATE fiscal_device
   SET active = false,
       url = 'http://neutralized.invalid/',
       login = NULL,
       password = NULL,
       group_code = NULL;
-- The production scrape token must not open this copy's metrics.
DELETE FROM ir_config_parameter
 WHERE key = 'optics_pos_ru54fz.metrics_token';
