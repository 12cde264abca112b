-- The console's analytics read a brand's items by the time they were posted (ranges, the
-- previous period, the backlog as of a date). queue_items is publish's table, so its index is here.
CREATE INDEX queue_items_brand_posted ON queue_items (brand_id, mention_created_at);
