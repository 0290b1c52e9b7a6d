-- Search over the read models: one document per ticket holding the words of its public messages and internal
-- notes, stemmed in the ticket's language (Spanish or English) with accents set aside (`unaccent` inside both
-- text search configurations, so "bateria" finds "batería"); queries are read both ways. The writer adds each new
-- text to its ticket's document (`search_docs`), in the transaction of the text. Rebuilt like the other tables;
-- the tickets already there get theirs below (no rebuild needed).
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION projections.search_es (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION projections.search_es
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;
CREATE TEXT SEARCH CONFIGURATION projections.search_en (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION projections.search_en
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

-- A text as its language stems it (Spanish unless the ticket is in English).
CREATE FUNCTION projections.search_document(language text, words text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN language = 'en' THEN to_tsvector('projections.search_en'::regconfig, coalesce(words, ''))
                ELSE to_tsvector('projections.search_es'::regconfig, coalesce(words, '')) END;
-- What an agent typed, read as Spanish and as English: a ticket matches in its own language's stems.
CREATE FUNCTION projections.search_query(words text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN websearch_to_tsquery('projections.search_es'::regconfig, words)
        || websearch_to_tsquery('projections.search_en'::regconfig, words);

-- A ticket's texts, one tsvector each, joined in event order (a || b || c, positions shifted on): the same
-- document whether they came in one batch or one by one.
CREATE AGGREGATE projections.tsvector_agg(tsvector) (SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '');

CREATE TABLE projections.search_docs (
    ticket_id text        PRIMARY KEY,
    latest    timestamptz NOT NULL,   -- the newest text's time: ties rank the most recent first
    document  tsvector    NOT NULL
);
CREATE INDEX search_docs_document ON projections.search_docs USING gin (document);

-- The documents of tickets that have none, from their rows, made as the writer makes them: the tickets already
-- there when this migration runs (no rebuild needed), and seeded read models (`make bench`).
CREATE PROCEDURE projections.fill_search_docs()
    LANGUAGE sql
    AS $$
    INSERT INTO projections.search_docs (ticket_id, latest, document)
    SELECT s.ticket_id, max(s.at),
           projections.tsvector_agg(projections.search_document(t.language, s.body) ORDER BY s.version)
      FROM (SELECT ticket_id, version, occurred_at AS at, body FROM projections.messages
            UNION ALL
            SELECT ticket_id, version, occurred_at, data ->> 'body' FROM projections.timeline
             WHERE type = 'InternalNoteAdded') s
      JOIN projections.tickets t USING (ticket_id)
     WHERE s.body <> ''
     GROUP BY s.ticket_id
    ON CONFLICT (ticket_id) DO NOTHING
    $$;
CALL projections.fill_search_docs();

-- A ticket by its order (search, and a customer's other tickets about the same order).
CREATE INDEX tickets_order_number ON projections.tickets (order_number) WHERE order_number IS NOT NULL;
