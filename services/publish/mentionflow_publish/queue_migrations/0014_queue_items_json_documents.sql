-- The mention, its classification and the decision are copies kept whole: written by publish
-- once per decision, read back whole by the console (which parses them itself), never searched
-- inside. As json they are stored as the text publish sends, checked but not rebuilt; as jsonb
-- PostgreSQL parsed each into its binary form, about half of its CPU for a routed mention.
-- ->> and friends work on json as they did on jsonb. (Rewrites the table once.)
ALTER TABLE queue_items
    ALTER COLUMN mention TYPE json,
    ALTER COLUMN classification TYPE json,
    ALTER COLUMN decision TYPE json;
