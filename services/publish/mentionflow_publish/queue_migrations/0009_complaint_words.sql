-- The words and hashtags of each complaint, extracted once when the item is written instead of on
-- every report: the console's "growing terms" count them over a month of complaints (a million
-- items took seconds to re-tokenise per report). Stored generated columns, so they are always
-- those of the row's current text and category, whatever writes it, and a row written before this
-- migration gets them when the table is rewritten here.

-- Words of four letters or more of the text with handles, hashtags and links taken out first, each
-- once, lower-cased; none with a digit or punctuation (numbers, times, leftovers of links). Common
-- words are left to the reader (the console's stop words), which can change without a rewrite.
CREATE FUNCTION queue_text_words(body text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(word ORDER BY word), '{}')
    FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig,
             regexp_replace(body, '[@#][[:alnum:]_-]+|https?://[^[:space:]]+', ' ', 'g')))) AS word
    WHERE length(word) >= 4 AND word !~ '[0-9./:_@-]'
$$;

-- The hashtags of the text, lower-cased, each once.
CREATE FUNCTION queue_text_hashtags(body text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT lower(m[1])), '{}') FROM regexp_matches(body, '#([[:alnum:]_]+)', 'g') AS m
$$;

ALTER TABLE queue_items
    ADD COLUMN complaint_words    text[] GENERATED ALWAYS AS
        (CASE WHEN category = 'complaint' THEN queue_text_words(text) END) STORED,
    ADD COLUMN complaint_hashtags text[] GENERATED ALWAYS AS
        (CASE WHEN category = 'complaint' THEN queue_text_hashtags(text) END) STORED;
