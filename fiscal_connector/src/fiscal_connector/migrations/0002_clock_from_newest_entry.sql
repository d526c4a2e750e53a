-- Outbox schema v2. The hybrid logical clock ticks from the newest entry's
-- timestamp (the highest id always holds the highest one), so an enqueue no
-- longer rewrites a separate clock row: one page less per durable commit.
DROP TABLE meta;
