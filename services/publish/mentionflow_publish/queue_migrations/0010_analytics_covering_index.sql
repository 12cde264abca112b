-- The console's analytics read a month of a brand's items at a time (up to a million rows): with
-- the columns they group and join on carried in the index, volume, response times and the backlog
-- read the index alone (an index-only scan of the rows autovacuum has marked visible) instead of
-- the wide rows with their text and JSON. Supersedes 0008's index on the same key.
CREATE INDEX queue_items_brand_posted_cover ON queue_items (brand_id, mention_created_at)
    INCLUDE (id, queue, category, sentiment, language, sla_due_at);
DROP INDEX queue_items_brand_posted;
