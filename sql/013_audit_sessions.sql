-- Sign-in and sign-out in the audit log (docs/reliability.md). A session's start (INSERT) and its
-- end (revoked_at set: signed out, revoked, or its account disabled) are logged like any other
-- write, naming the account as the actor; the hash of its secret never is. Its last_seen_at,
-- which every request it authorises moves, is not news and fires nothing.
CREATE OR REPLACE FUNCTION rt_audit_row(entity text, r jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE entity WHEN 'tokens' THEN r - 'hash'
                     WHEN 'sessions' THEN r - 'hash'
                     WHEN 'accounts' THEN r - 'password_hash'
                     ELSE r END
$$;

CREATE TRIGGER sessions_audit_insert AFTER INSERT ON sessions
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
CREATE TRIGGER sessions_audit_end AFTER UPDATE OF revoked_at ON sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) EXECUTE FUNCTION rt_audit();
