-- Overlapping offers (docs/matching.md, "Overlaps"): when an offer is posted, the service says
-- which open offers of the roundtable already serve a shared theme in a shared country, and
-- which agreed partnerships already do, so that donors see duplication before it happens.

-- Whether a state's country falls under an offer's restriction (its countries, else its
-- regions, else everywhere).
CREATE FUNCTION rt_in_scope(country text, regions text[], countries text[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN cardinality(countries) > 0 THEN country = ANY (countries)
              WHEN cardinality(regions) > 0
                THEN (SELECT c.region FROM countries c WHERE c.code = country) = ANY (regions)
              ELSE true END
$$;

-- Whether two offers' restrictions share a country.
CREATE FUNCTION rt_scopes_overlap(r1 text[], c1 text[], r2 text[], c2 text[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN cardinality(c1) > 0 THEN EXISTS (SELECT 1 FROM unnest(c1) k WHERE rt_in_scope(k, r2, c2))
              WHEN cardinality(c2) > 0 THEN EXISTS (SELECT 1 FROM unnest(c2) k WHERE rt_in_scope(k, r1, c1))
              WHEN cardinality(r1) > 0 AND cardinality(r2) > 0 THEN r1 && r2
              ELSE true END
$$;

-- The overlaps of an offer (its roundtable, id, themes, regions and countries: the fields, so
-- that an INSERT can ask about the row it is writing, which its own snapshot cannot see yet):
-- {"total": n, "items": [...]} with at most lim items, agreed
-- partnerships first, then offers, newest first. An item names what overlaps and the themes
-- (and, for a partnership, the country) they share; a partnership names its need and state, not
-- its provider, whose matches only the parties see.
CREATE FUNCTION rt_offer_overlaps(roundtable_id bigint, id bigint, themes text[], regions text[],
                                  countries text[], lim integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  WITH x AS (SELECT roundtable_id, id, themes, regions, countries),
  hits AS (
    SELECT 0 AS k, m.id, jsonb_build_object('kind', 'partnership', 'id', m.id::text,
             'need_id', m.need_id::text,
             'title', n.title, 'participant_id', n.participant_id::text, 'country', p.country,
             'themes', to_jsonb(ARRAY(SELECT unnest(n.themes) INTERSECT SELECT unnest(x.themes)
                                      ORDER BY 1))) AS item
    FROM x JOIN matches m ON m.roundtable_id = x.roundtable_id AND m.offer_id <> x.id
      AND m.status IN ('agreed', 'completed')
    JOIN needs n ON n.id = m.need_id JOIN participants p ON p.id = n.participant_id
    WHERE n.themes && x.themes AND rt_in_scope(p.country, x.regions, x.countries)
    UNION ALL
    SELECT 1, o.id, jsonb_build_object('kind', 'offer', 'id', o.id::text, 'title', o.title,
             'participant_id', o.participant_id::text,
             'themes', to_jsonb(ARRAY(SELECT unnest(o.themes) INTERSECT SELECT unnest(x.themes)
                                      ORDER BY 1)))
    FROM x JOIN offers o ON o.roundtable_id = x.roundtable_id AND o.id <> x.id
      AND o.status = 'open' AND o.themes && x.themes
    WHERE rt_scopes_overlap(o.regions, o.countries, x.regions, x.countries))
  SELECT jsonb_build_object('total', (SELECT count(*) FROM hits),
    'items', coalesce((SELECT jsonb_agg(item ORDER BY k, id DESC)
                       FROM (SELECT * FROM hits ORDER BY k, id DESC LIMIT lim) h), '[]'::jsonb))
$$;
