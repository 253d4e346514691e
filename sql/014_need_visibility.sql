-- Need visibility (docs/security.md, "Need visibility"): the state that posts a need chooses who
-- sees it. 'everyone': every signed-in caller; 'providers': providers, organizers, admins and the
-- owning state, not other states; 'organizers': organizers, admins and the owning state only.
-- A provider that is a party to a match of the need (the organizers' run introduced them) sees
-- that need whatever its visibility. Matching itself still considers every open need.
ALTER TABLE needs ADD COLUMN visibility text NOT NULL DEFAULT 'everyone'
  CONSTRAINT needs_visibility CHECK (visibility IN ('everyone', 'providers', 'organizers'));

-- Whether a provider (viewer) is a party to a match of a need.
CREATE FUNCTION rt_need_party(need bigint, viewer bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM matches m JOIN offers o ON o.id = m.offer_id
                 WHERE m.need_id = need AND o.participant_id = viewer)
$$;

-- Whether a caller (its role name and its participant, NULL when unbound) may see a need (its
-- visibility, its state and its id). The one statement of the rule: every read path asks it, so
-- that it depends on the caller's role and participant only. One plain expression without a
-- subquery, so that the planner inlines it into the queries that use it (for staff it folds to
-- true); only a provider looking at an organizers-only need costs a look at the matches.
CREATE FUNCTION rt_need_visible(visibility text, owner bigint, need bigint, role text,
                                viewer bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT role IN ('admin', 'organizer') OR visibility = 'everyone'
      OR owner IS NOT DISTINCT FROM viewer
      OR (role = 'provider' AND (visibility = 'providers' OR rt_need_party(need, viewer)))
$$;

-- The overlaps of an offer as a caller sees them (the six-argument form, sql/012_offer_overlaps.sql
-- and its later revisions, is everything): total still counts every overlap (a count names no
-- need); items leave out the partnerships whose need the caller may not see, and lim counts only
-- what is shown.
CREATE FUNCTION rt_offer_overlaps(roundtable_id bigint, id bigint, themes text[], regions text[],
                                  countries text[], lim integer, role text, viewer bigint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  WITH every AS (SELECT rt_offer_overlaps(roundtable_id, id, themes, regions, countries,
                                          2147483647) AS o)
  SELECT jsonb_build_object('total', o->'total', 'items', coalesce((
    SELECT jsonb_agg(i.v ORDER BY i.k) FROM (
      SELECT e.v, e.k FROM jsonb_array_elements(o->'items') WITH ORDINALITY e(v, k)
      LEFT JOIN needs n ON e.v->>'kind' = 'partnership' AND n.id = (e.v->>'need_id')::bigint
      WHERE n.id IS NULL OR rt_need_visible(n.visibility, n.participant_id, n.id, role, viewer)
      ORDER BY e.k LIMIT lim) i), '[]'::jsonb))
  FROM every
$$;

-- A match run's stats as a caller sees them: the refused organizers' locks name their need, so
-- those on needs the caller may not see are left out; every count stays.
CREATE FUNCTION rt_run_stats(stats jsonb, role text, viewer bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN role IN ('admin', 'organizer') OR stats->'locks'->'refused' IS NULL
                   OR jsonb_typeof(stats->'locks'->'refused') <> 'array' THEN stats
    ELSE jsonb_set(stats, '{locks,refused}', coalesce((
      SELECT jsonb_agg(x.v ORDER BY x.k) FROM jsonb_array_elements(stats->'locks'->'refused')
        WITH ORDINALITY x(v, k) JOIN needs n ON n.id = (x.v->>'need_id')::bigint
      WHERE rt_need_visible(n.visibility, n.participant_id, n.id, role, viewer)), '[]'::jsonb))
  END
$$;
