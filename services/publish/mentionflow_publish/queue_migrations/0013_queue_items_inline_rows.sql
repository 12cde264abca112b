-- A queue row is about 2 kB (the mention, its classification and the decision as jsonb beside
-- their columns): just past the size at which PostgreSQL starts compressing a row's largest
-- values or moving them out of line (TOAST). On 20,000 routed mentions that was an eighth of
-- the upsert's server CPU (78 -> 67 us a row), for rows the console reads back whole anyway.
-- Rows up to a page now stay inline and uncompressed; a larger one is still toasted.
ALTER TABLE queue_items SET (toast_tuple_target = 8160);
