-- Accounts for people (email and password), their browser sessions, and the failure counters
-- that slow down password guessing. See docs/security.md.

-- An account signs in with an email and a password. Only the argon2id hash of the password is
-- stored (libsodium's crypto_pwhash_str format). Like a token, a state or provider account
-- acts for one participant; admin and organizer accounts for none (or their organisation).
CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  role text NOT NULL CHECK (role IN ('admin', 'organizer', 'state', 'provider')),
  participant_id bigint REFERENCES participants (id),
  password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  created_by_token bigint REFERENCES tokens (id),
  created_by_account bigint REFERENCES accounts (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  CONSTRAINT accounts_party_roles_bound CHECK (role NOT IN ('state', 'provider') OR participant_id IS NOT NULL)
);
-- Emails are unique whatever their case: Amina@x and amina@x are one person.
CREATE UNIQUE INDEX accounts_email_unique ON accounts (lower(email));
CREATE INDEX accounts_participant ON accounts (participant_id);

-- A state account or token acts for a state; a provider one for a donor or an implementer. One
-- trigger function for both tables (it replaces tokens' own); the constraint it names is
-- <table>_role_matches_participant.
CREATE FUNCTION rt_role_matches_participant() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  k text;
  what text := rtrim(TG_TABLE_NAME, 's');
BEGIN
  IF NEW.participant_id IS NOT NULL THEN
    SELECT kind INTO k FROM participants WHERE id = NEW.participant_id;
    IF (NEW.role = 'state' AND k <> 'state')
       OR (NEW.role = 'provider' AND k NOT IN ('donor', 'implementer')) THEN
      RAISE EXCEPTION 'a % % cannot act for a % participant', NEW.role, what, k
        USING ERRCODE = 'check_violation',
              CONSTRAINT = TG_TABLE_NAME || '_role_matches_participant';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER accounts_check BEFORE INSERT OR UPDATE ON accounts
  FOR EACH ROW EXECUTE FUNCTION rt_role_matches_participant();
DROP TRIGGER tokens_check ON tokens;
CREATE TRIGGER tokens_check BEFORE INSERT OR UPDATE ON tokens
  FOR EACH ROW EXECUTE FUNCTION rt_role_matches_participant();
DROP FUNCTION rt_tokens_check();

-- A signed-in browser. The cookie holds a random secret; only its SHA-256 is stored, so a
-- copy of the database signs no one in. The CSRF token is derived from the secret (HMAC), so
-- it is not stored either. A session ends at expires_at (absolute), after idle time without a
-- request (last_seen_at), when revoked (sign-out, DELETE /sessions/{id}) or when its account
-- is disabled.
CREATE TABLE sessions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  hash bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  address text NOT NULL DEFAULT '' CHECK (length(address) <= 64),
  user_agent text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 200)
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Failed sign-ins, counted per key ('email:<lowercased email>' and 'address:<client address>')
-- within a window that starts at the first failure. Past a threshold, sign-in on that key is
-- refused with 429 until last_failure_at plus a delay that doubles with every further failure.
CREATE TABLE sign_in_failures (
  key text PRIMARY KEY CHECK (length(key) <= 300),
  failures integer NOT NULL CHECK (failures > 0),
  window_start timestamptz NOT NULL,
  last_failure_at timestamptz NOT NULL
);

-- Seconds a sign-in on key must still wait (0: none): once failures within the hour reach
-- free, each further attempt waits 2^(failures - free) seconds after the last failure, at most
-- 15 minutes.
CREATE FUNCTION rt_sign_in_wait(k text, free integer) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT coalesce(max(ceil(extract(epoch FROM
           f.last_failure_at + least(interval '1 second' * power(2, least(f.failures - free, 20)),
                                     interval '15 minutes') - now())))::bigint, 0)
    FROM sign_in_failures f
   WHERE f.key = k AND f.failures >= free AND f.window_start > now() - interval '1 hour'
$$;
