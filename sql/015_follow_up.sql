-- 015: follow-up of agreed partnerships (docs/matching.md, "Follow-up").
--
-- After a roundtable, an agreed partnership is marked delivered, partly delivered or abandoned,
-- with the day it happened and (unless delivered) why. The follow-up lives on the match: one
-- per partnership, corrected by recording it again, logged by the matches audit trigger like a
-- decision. A match with a follow-up is completed. An abandoned partnership no longer uses its
-- need's or its offer's room, and its pair is never proposed again; delivered and partly
-- delivered ones count for fairness in every later run, of any roundtable.
ALTER TABLE matches
  ADD COLUMN follow_up_outcome text
    CHECK (follow_up_outcome IN ('delivered', 'partly_delivered', 'abandoned')),
  ADD COLUMN follow_up_on date,
  ADD COLUMN follow_up_reason text CHECK (length(follow_up_reason) <= 1000),
  ADD COLUMN follow_up_at timestamptz,
  -- all of it or none of it, and only on a completed match
  ADD CONSTRAINT matches_follow_up_whole CHECK (
    (follow_up_outcome IS NULL) = (follow_up_on IS NULL)
    AND (follow_up_outcome IS NULL) = (follow_up_at IS NULL)
    AND (follow_up_outcome IS NOT NULL OR follow_up_reason IS NULL)
    AND (follow_up_outcome IS NULL OR status = 'completed')),
  -- a partnership that was not (wholly) delivered says why
  ADD CONSTRAINT matches_follow_up_reason CHECK (
    coalesce(follow_up_outcome, 'delivered') = 'delivered'
    OR btrim(coalesce(follow_up_reason, ''), E' \t\r\n') <> '');

-- GET /matches?outcome= and fairness's delivered partnerships of every roundtable
-- (service/api/snapshot.c): few rows, so partial.
CREATE INDEX matches_follow_up ON matches (follow_up_outcome, need_id)
  WHERE follow_up_outcome IS NOT NULL;

-- Decisions and follow-ups change matches; a run's re-proposal (run_id, score, breakdown)
-- still fires nothing.
DROP TRIGGER matches_audit ON matches;
CREATE TRIGGER matches_audit
  AFTER UPDATE OF state_decision, provider_decision, status, follow_up_outcome, follow_up_on,
                  follow_up_reason ON matches
  FOR EACH ROW WHEN (OLD.state_decision IS DISTINCT FROM NEW.state_decision
                     OR OLD.provider_decision IS DISTINCT FROM NEW.provider_decision
                     OR OLD.status IS DISTINCT FROM NEW.status
                     OR OLD.follow_up_outcome IS DISTINCT FROM NEW.follow_up_outcome
                     OR OLD.follow_up_on IS DISTINCT FROM NEW.follow_up_on
                     OR OLD.follow_up_reason IS DISTINCT FROM NEW.follow_up_reason)
  EXECUTE FUNCTION rt_audit();

-- An abandoned partnership no longer serves its country: it is not an overlap of a new offer
-- (sql/012_offer_overlaps.sql, unchanged otherwise).
CREATE OR REPLACE FUNCTION rt_offer_overlaps(roundtable_id bigint, id bigint, themes text[],
                                             regions text[], countries text[], lim integer)
RETURNS jsonb
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
      AND m.follow_up_outcome IS DISTINCT FROM 'abandoned'
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
