-- Audit log and idempotency keys (docs/reliability.md).
--
-- Every write to a domain table leaves one audit row per changed row, written by a trigger
-- in the same transaction as the write: no write without its audit row, no audit row
-- without the write. Who did it comes from the transaction-local setting roundtable.actor,
-- which the service sets (set_config(..., true)) in the same transaction before the write;
-- writes from elsewhere (psql, the command line) are recorded with a NULL actor.

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- {"role","token_id","account_id","session_id","participant_id","request_id","method","route"}
  actor jsonb CHECK (actor IS NULL OR jsonb_typeof(actor) = 'object'),
  actor_token_id bigint,
  actor_account_id bigint,
  actor_role text,
  entity text NOT NULL,
  entity_id bigint NOT NULL,
  action text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
  -- the participant the changed row belongs to (a posting's poster, a token's participant)
  participant_id bigint,
  before jsonb,
  after jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_participant ON audit_log (participant_id, id) WHERE participant_id IS NOT NULL;
CREATE INDEX audit_log_token ON audit_log (actor_token_id, id) WHERE actor_token_id IS NOT NULL;
CREATE INDEX audit_log_account ON audit_log (actor_account_id, id) WHERE actor_account_id IS NOT NULL;
CREATE INDEX audit_log_at ON audit_log (at, id);

-- Columns that must never reach the log: secrets and their hashes.
CREATE FUNCTION rt_audit_row(entity text, r jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE entity WHEN 'tokens' THEN r - 'hash'
                     WHEN 'accounts' THEN r - 'password_hash'
                     ELSE r END
$$;

CREATE FUNCTION rt_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a jsonb := nullif(current_setting('roundtable.actor', true), '')::jsonb;
  b jsonb;
  n jsonb;
  p bigint;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    b := rt_audit_row(TG_TABLE_NAME, to_jsonb(OLD));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    n := rt_audit_row(TG_TABLE_NAME, to_jsonb(NEW));
  END IF;
  -- A statement that changed nothing (UPDATE setting the same values) is not news.
  IF TG_OP = 'UPDATE' AND b = n THEN
    RETURN NULL;
  END IF;
  p := CASE TG_TABLE_NAME WHEN 'participants' THEN coalesce(n, b) ->> 'id'
                          ELSE coalesce(n, b) ->> 'participant_id' END;
  INSERT INTO audit_log (actor, actor_token_id, actor_account_id, actor_role, entity, entity_id,
                         action, participant_id, before, after)
  VALUES (a, (a ->> 'token_id')::bigint, (a ->> 'account_id')::bigint, a ->> 'role',
          TG_TABLE_NAME, (coalesce(n, b) ->> 'id')::bigint, lower(TG_OP), p, b, n);
  RETURN NULL;
END $$;

CREATE TRIGGER participants_audit AFTER INSERT OR UPDATE OR DELETE ON participants
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
CREATE TRIGGER tokens_audit AFTER INSERT OR UPDATE OR DELETE ON tokens
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
CREATE TRIGGER roundtables_audit AFTER INSERT OR UPDATE OR DELETE ON roundtables
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
CREATE TRIGGER needs_audit AFTER INSERT OR UPDATE OR DELETE ON needs
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
CREATE TRIGGER offers_audit AFTER INSERT OR UPDATE OR DELETE ON offers
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
CREATE TRIGGER accounts_audit AFTER INSERT OR UPDATE OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
-- Decisions change matches; the proposals a run writes and replaces are summed up by the
-- run's own rows (created, then finished with its stats), not logged one by one: a run that
-- proposes a pair again updates only run_id, score and breakdown, which fires nothing here.
CREATE TRIGGER matches_audit AFTER UPDATE OF state_decision, provider_decision, status ON matches
  FOR EACH ROW WHEN (OLD.state_decision IS DISTINCT FROM NEW.state_decision
                     OR OLD.provider_decision IS DISTINCT FROM NEW.provider_decision
                     OR OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION rt_audit();
-- A run's heartbeat and progress are not writes anyone asked for: only its creation and
-- status changes are logged.
CREATE TRIGGER match_runs_audit_insert AFTER INSERT ON match_runs
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
CREATE TRIGGER match_runs_audit_status AFTER UPDATE OF status ON match_runs
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION rt_audit();

-- Idempotency-Key: the first response to a POST, replayed for a repeat with the same key
-- from the same caller on the same route. A row is 'in_flight' from the moment the first
-- request claims the key until its response is stored.
CREATE TABLE idempotency_keys (
  scope text NOT NULL,        -- 't:<token id>' or 'a:<account id>'
  route text NOT NULL,        -- method and path as sent, e.g. 'POST /api/v1/needs'
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL, -- hex SHA-256 of the body
  state text NOT NULL DEFAULT 'in_flight' CHECK (state IN ('in_flight', 'done')),
  status integer,
  content_type text,
  location text,
  body text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL DEFAULT now() + interval '24 hours',
  PRIMARY KEY (scope, route, key),
  CONSTRAINT idempotency_done_has_response CHECK (state = 'in_flight' OR status IS NOT NULL)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
