-- Search over the read models: words of every public message and internal note, in Spanish and English, accents
-- aside (`unaccent` inside both text search configurations, so "bateria" finds "batería"). Each searchable text
-- keeps its tsvector in a generated column (ranking reads it instead of parsing the text again), indexed with GIN.
-- Generated columns and indexes are copied into a rebuild's twins with the table (LIKE ... INCLUDING ALL).
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION projections.search_es (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION projections.search_es
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;
CREATE TEXT SEARCH CONFIGURATION projections.search_en (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION projections.search_en
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

-- A text as both languages stem it; the query below asks both, so either language's words match.
CREATE FUNCTION projections.search_document(words text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('projections.search_es'::regconfig, coalesce(words, ''))
        || to_tsvector('projections.search_en'::regconfig, coalesce(words, ''));
CREATE FUNCTION projections.search_query(words text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN websearch_to_tsquery('projections.search_es'::regconfig, words)
        || websearch_to_tsquery('projections.search_en'::regconfig, words);

ALTER TABLE projections.messages
    ADD COLUMN search tsvector GENERATED ALWAYS AS (projections.search_document(body)) STORED;
CREATE INDEX messages_search ON projections.messages USING gin (search);

ALTER TABLE projections.timeline
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        CASE WHEN type = 'InternalNoteAdded' THEN projections.search_document(data ->> 'body') END
    ) STORED;
CREATE INDEX timeline_search ON projections.timeline USING gin (search) WHERE search IS NOT NULL;

-- A ticket by its order (search, and a customer's other tickets about the same order).
CREATE INDEX tickets_order_number ON projections.tickets (order_number) WHERE order_number IS NOT NULL;
