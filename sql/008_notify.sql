-- Invalidation of the service's in-process caches (docs/scaling.md). Each process keeps one
-- connection that LISTENs on rt_auth and drops its cached credential lookups when a
-- notification comes; a change to tokens, sessions or accounts commits one. Inserts change no
-- cached entry (only found credentials are cached), so they notify nothing.
CREATE FUNCTION rt_notify_auth() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rt_auth', TG_TABLE_NAME);
  RETURN NULL;
END $$;

CREATE TRIGGER tokens_notify AFTER UPDATE OR DELETE ON tokens
  FOR EACH STATEMENT EXECUTE FUNCTION rt_notify_auth();
CREATE TRIGGER tokens_notify_truncate AFTER TRUNCATE ON tokens
  FOR EACH STATEMENT EXECUTE FUNCTION rt_notify_auth();
CREATE TRIGGER accounts_notify AFTER UPDATE OR DELETE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION rt_notify_auth();
CREATE TRIGGER accounts_notify_truncate AFTER TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION rt_notify_auth();
-- A session's touch (last_seen_at) notifies nothing: only its end does.
CREATE TRIGGER sessions_notify AFTER UPDATE OF revoked_at, expires_at OR DELETE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION rt_notify_auth();
