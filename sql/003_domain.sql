-- The domain: participants, their API tokens, roundtables, needs and offers.
-- Every rule the API validates in C is also a constraint here, so no path into the
-- database (import, psql, a future service) can store what the API would refuse.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Timestamps as the API writes them: RFC 3339 in UTC with milliseconds.
CREATE FUNCTION rt_ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- updated_at is maintained by the database, never by callers.
CREATE FUNCTION rt_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

-- Arrays of codes cannot carry foreign keys; these functions back CHECK-like triggers.
-- Static SQL (no EXECUTE), so that PL/pgSQL plans each query once per session: bulk
-- imports run these for every row.
CREATE FUNCTION rt_first_unknown_language(codes text[]) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT c FROM unnest(codes) AS c WHERE NOT EXISTS (SELECT 1 FROM languages l WHERE l.code = c) LIMIT 1
$$;
CREATE FUNCTION rt_first_unknown_theme(codes text[]) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT c FROM unnest(codes) AS c
   WHERE NOT EXISTS (SELECT 1 FROM themes t WHERE t.code = c AND t.parent IS NOT NULL) LIMIT 1
$$;
CREATE FUNCTION rt_first_unknown_region(codes text[]) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT c FROM unnest(codes) AS c WHERE NOT EXISTS (SELECT 1 FROM regions r WHERE r.code = c) LIMIT 1
$$;
CREATE FUNCTION rt_first_unknown_country(codes text[]) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT c FROM unnest(codes) AS c WHERE NOT EXISTS (SELECT 1 FROM countries k WHERE k.code = c) LIMIT 1
$$;

CREATE FUNCTION rt_no_duplicates(a anyarray) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT cardinality(a) = (SELECT count(DISTINCT x) FROM unnest(a) AS x)
$$;

CREATE TABLE participants (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  kind text NOT NULL CHECK (kind IN ('state', 'donor', 'implementer', 'organizer')),
  country char(3) REFERENCES countries (code),
  region text REFERENCES regions (code),
  languages text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 20 AND rt_no_duplicates(languages)),
  contact_name text CHECK (length(contact_name) <= 200),
  contact_email text CHECK (length(contact_email) <= 254 AND contact_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT participants_state_has_country CHECK (kind <> 'state' OR country IS NOT NULL)
);
CREATE INDEX participants_kind ON participants (kind, id);
CREATE INDEX participants_region ON participants (region, id);
CREATE TRIGGER participants_touch BEFORE UPDATE ON participants
  FOR EACH ROW EXECUTE FUNCTION rt_touch_updated_at();

-- A participant's region is its country's UN regional group: derived when not given,
-- refused when it says otherwise (also when only one of the two changes).
CREATE FUNCTION rt_participants_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad text;
  derived text;
BEGIN
  IF NEW.country IS NOT NULL THEN
    SELECT c.region INTO derived FROM countries c WHERE c.code = NEW.country;
    IF NEW.region IS NULL THEN
      NEW.region := derived;
    ELSIF NEW.region IS DISTINCT FROM derived THEN
      RAISE EXCEPTION 'region % does not match country %, which is in %', NEW.region,
        NEW.country, derived USING ERRCODE = 'check_violation',
        CONSTRAINT = 'participants_region_matches_country';
    END IF;
  END IF;
  bad := rt_first_unknown_language(NEW.languages);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'unknown language %', bad USING ERRCODE = 'check_violation',
      CONSTRAINT = 'participants_languages_known';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER participants_check BEFORE INSERT OR UPDATE ON participants
  FOR EACH ROW EXECUTE FUNCTION rt_participants_check();

-- API tokens: only the SHA-256 of a token is stored.
CREATE TABLE tokens (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  role text NOT NULL CHECK (role IN ('admin', 'organizer', 'state', 'provider')),
  participant_id bigint REFERENCES participants (id),
  label text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
  hash bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
  created_by bigint REFERENCES tokens (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CONSTRAINT tokens_party_roles_bound CHECK (role NOT IN ('state', 'provider') OR participant_id IS NOT NULL)
);
CREATE INDEX tokens_participant ON tokens (participant_id);

-- A state token acts for a state; a provider token for a donor or an implementer.
CREATE FUNCTION rt_tokens_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  k text;
BEGIN
  IF NEW.participant_id IS NOT NULL THEN
    SELECT kind INTO k FROM participants WHERE id = NEW.participant_id;
    IF (NEW.role = 'state' AND k <> 'state')
       OR (NEW.role = 'provider' AND k NOT IN ('donor', 'implementer')) THEN
      RAISE EXCEPTION 'a % token cannot act for a % participant', NEW.role, k
        USING ERRCODE = 'check_violation', CONSTRAINT = 'tokens_role_matches_participant';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER tokens_check BEFORE INSERT OR UPDATE ON tokens
  FOR EACH ROW EXECUTE FUNCTION rt_tokens_check();

CREATE TABLE roundtables (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
  starts_on date,
  ends_on date,
  location text NOT NULL DEFAULT '' CHECK (length(location) <= 300),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
  status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'open', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT roundtables_dates_ordered CHECK (ends_on >= starts_on)
);
CREATE INDEX roundtables_starts ON roundtables (starts_on, id);
CREATE TRIGGER roundtables_touch BEFORE UPDATE ON roundtables
  FOR EACH ROW EXECUTE FUNCTION rt_touch_updated_at();

CREATE TABLE needs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  roundtable_id bigint NOT NULL REFERENCES roundtables (id),
  participant_id bigint NOT NULL REFERENCES participants (id),
  title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
  themes text[] NOT NULL CHECK (cardinality(themes) BETWEEN 1 AND 25 AND rt_no_duplicates(themes)),
  languages text[] NOT NULL CHECK (cardinality(languages) BETWEEN 1 AND 20 AND rt_no_duplicates(languages)),
  modality text NOT NULL DEFAULT 'any' CHECK (modality IN ('in_person', 'online', 'hybrid', 'any')),
  window_start date,
  window_end date,
  budget_usd numeric(15, 2) CHECK (budget_usd >= 0),
  priority text NOT NULL DEFAULT 'medium' CHECK (priority IN ('high', 'medium', 'low')),
  max_partners integer NOT NULL DEFAULT 1 CHECK (max_partners BETWEEN 1 AND 100),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'matched', 'fulfilled', 'withdrawn')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT needs_window_ordered CHECK (window_end >= window_start)
);
CREATE INDEX needs_roundtable ON needs (roundtable_id, id);
CREATE INDEX needs_participant ON needs (participant_id, id);
CREATE INDEX needs_status ON needs (status, id);
CREATE INDEX needs_themes ON needs USING gin (themes);
CREATE INDEX needs_languages ON needs USING gin (languages);
CREATE INDEX needs_text ON needs USING gin ((title || ' ' || description) gin_trgm_ops);
CREATE TRIGGER needs_touch BEFORE UPDATE ON needs
  FOR EACH ROW EXECUTE FUNCTION rt_touch_updated_at();

CREATE TABLE offers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  roundtable_id bigint NOT NULL REFERENCES roundtables (id),
  participant_id bigint NOT NULL REFERENCES participants (id),
  title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
  kind text NOT NULL CHECK (kind IN ('training', 'technical_assistance', 'funding', 'equipment', 'mentoring', 'policy_advice')),
  themes text[] NOT NULL CHECK (cardinality(themes) BETWEEN 1 AND 25 AND rt_no_duplicates(themes)),
  languages text[] NOT NULL CHECK (cardinality(languages) BETWEEN 1 AND 20 AND rt_no_duplicates(languages)),
  modality text NOT NULL DEFAULT 'hybrid' CHECK (modality IN ('in_person', 'online', 'hybrid')),
  window_start date,
  window_end date,
  funding_usd numeric(15, 2) CHECK (funding_usd >= 0),
  capacity integer NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 1000),
  regions text[] NOT NULL DEFAULT '{}' CHECK (rt_no_duplicates(regions)),
  countries text[] NOT NULL DEFAULT '{}' CHECK (cardinality(countries) <= 250 AND rt_no_duplicates(countries)),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'withdrawn')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT offers_window_ordered CHECK (window_end >= window_start)
);
CREATE INDEX offers_roundtable ON offers (roundtable_id, id);
CREATE INDEX offers_participant ON offers (participant_id, id);
CREATE INDEX offers_status ON offers (status, id);
CREATE INDEX offers_themes ON offers USING gin (themes);
CREATE INDEX offers_languages ON offers USING gin (languages);
CREATE INDEX offers_regions ON offers USING gin (regions);
CREATE INDEX offers_text ON offers USING gin ((title || ' ' || description) gin_trgm_ops);
CREATE TRIGGER offers_touch BEFORE UPDATE ON offers
  FOR EACH ROW EXECUTE FUNCTION rt_touch_updated_at();

-- Needs and offers: themes are taxonomy children, languages/regions/countries known
-- codes, and the poster is of the right kind (a need comes from a state, an offer
-- from a donor or implementer).
CREATE FUNCTION rt_posting_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad text;
  k text;
BEGIN
  bad := rt_first_unknown_theme(NEW.themes);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'unknown theme %', bad USING ERRCODE = 'check_violation',
      CONSTRAINT = TG_TABLE_NAME || '_themes_known';
  END IF;
  bad := rt_first_unknown_language(NEW.languages);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'unknown language %', bad USING ERRCODE = 'check_violation',
      CONSTRAINT = TG_TABLE_NAME || '_languages_known';
  END IF;
  SELECT kind INTO k FROM participants WHERE id = NEW.participant_id;
  IF TG_TABLE_NAME = 'needs' THEN
    IF k <> 'state' THEN
      RAISE EXCEPTION 'needs are posted by states, not a %', k USING ERRCODE = 'check_violation',
        CONSTRAINT = 'needs_posted_by_state';
    END IF;
  ELSE
    IF k NOT IN ('donor', 'implementer') THEN
      RAISE EXCEPTION 'offers are posted by donors or implementers, not a %', k
        USING ERRCODE = 'check_violation', CONSTRAINT = 'offers_posted_by_provider';
    END IF;
    bad := rt_first_unknown_region(NEW.regions);
    IF bad IS NOT NULL THEN
      RAISE EXCEPTION 'unknown region %', bad USING ERRCODE = 'check_violation',
        CONSTRAINT = 'offers_regions_known';
    END IF;
    bad := rt_first_unknown_country(NEW.countries);
    IF bad IS NOT NULL THEN
      RAISE EXCEPTION 'unknown country %', bad USING ERRCODE = 'check_violation',
        CONSTRAINT = 'offers_countries_known';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER needs_check BEFORE INSERT OR UPDATE OF themes, languages, participant_id ON needs
  FOR EACH ROW EXECUTE FUNCTION rt_posting_check();
CREATE TRIGGER offers_check BEFORE INSERT OR UPDATE OF themes, languages, participant_id, regions, countries ON offers
  FOR EACH ROW EXECUTE FUNCTION rt_posting_check();

-- A participant's kind decides what its tokens and postings may be: a state cannot become
-- a provider (or the reverse) once it has any. Donor and implementer are both providers.
CREATE FUNCTION rt_participants_kind_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD.kind IN ('donor', 'implementer') AND NEW.kind IN ('donor', 'implementer')) THEN
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM tokens WHERE participant_id = OLD.id)
     OR EXISTS (SELECT 1 FROM needs WHERE participant_id = OLD.id)
     OR EXISTS (SELECT 1 FROM offers WHERE participant_id = OLD.id) THEN
    RAISE EXCEPTION 'a % with tokens or postings cannot become a %', OLD.kind, NEW.kind
      USING ERRCODE = 'check_violation', CONSTRAINT = 'participants_kind_in_use';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER participants_kind_check BEFORE UPDATE OF kind ON participants
  FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind)
  EXECUTE FUNCTION rt_participants_kind_check();
