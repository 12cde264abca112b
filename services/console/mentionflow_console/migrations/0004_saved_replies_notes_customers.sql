-- Saved replies: per brand and language; `category` (NULL = any) makes it suggested first for
-- items of that category. The body holds {variables}, checked when saved (unknown → refused).
CREATE TABLE saved_replies (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    brand_id   text        NOT NULL,
    language   text        NOT NULL,
    name       text        NOT NULL,
    category   text,
    body       text        NOT NULL,
    updated_by text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (brand_id, language, name)
);

-- Internal notes on an item: never sent anywhere. `mentions` are the usernames @mentioned
-- (checked to exist and to see the brand when written), for the "Mentions" view.
CREATE TABLE item_notes (
    id         bigserial   PRIMARY KEY,
    item_id    uuid        NOT NULL,             -- queue_items.id
    brand_id   text        NOT NULL,
    author     text        NOT NULL,
    body       text        NOT NULL,
    mentions   text[]      NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX item_notes_item ON item_notes (item_id, id);
CREATE INDEX item_notes_mentions ON item_notes USING gin (mentions);

-- What a brand's CMs know about an author ("VIP", "journalist", "known troll"): one note per
-- brand and author handle, so one brand's notes never show to another's people.
CREATE TABLE author_notes (
    brand_id      text        NOT NULL,
    author_handle text        NOT NULL,
    note          text        NOT NULL,
    updated_by    text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (brand_id, author_handle)
);
