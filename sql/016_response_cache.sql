-- Invalidation of the service's cache of rendered GET responses (docs/scaling.md, "Response
-- cache"). Each process LISTENs on rt_data beside rt_auth and drops every cached response when
-- a notice comes. Every table a cached response reads notifies on any change, once per
-- statement; pg_notify folds the notices of one transaction with the same payload (the table)
-- into one, so a write sends one notice per transaction and table.
--
-- Every table of the schema notifies except those no cached response reads: credentials and
-- sign-in bookkeeping (rt_auth covers what the caller's role depends on), the audit log, stored
-- idempotent replies and the migrations' own bookkeeping. A table added later notifies only if
-- its migration adds the triggers: tests/api/test_response_cache.py fails until it does (or
-- until the table is named here as one no cached response reads).
CREATE FUNCTION rt_notify_data() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rt_data', TG_TABLE_NAME);
  RETURN NULL;
END $$;

-- The triggers of one table: inserts, deletes, truncation, and updates of the columns listed
-- (all of them when NULL).
CREATE FUNCTION rt_notify_data_attach(tbl regclass, update_columns text[] DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR DELETE OR UPDATE%s ON %s'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION rt_notify_data()',
                 name || '_notify_data',
                 CASE WHEN update_columns IS NULL THEN ''
                      ELSE ' OF ' || (SELECT string_agg(quote_ident(c), ', ')
                                      FROM unnest(update_columns) c) END,
                 tbl);
  EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION rt_notify_data()',
                 name || '_notify_data_truncate', tbl);
END $$;

DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT c.oid, c.relname FROM pg_class c
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
             AND NOT c.relispartition
             AND c.relname NOT IN ('tokens', 'accounts', 'sessions', 'sign_in_failures',
                                   'audit_log', 'idempotency_keys', 'schema_migrations')
  LOOP
    IF t.relname = 'match_runs' THEN
      -- A running run's heartbeat (every few seconds) changes nothing a response shows.
      PERFORM rt_notify_data_attach(t.oid, (SELECT array_agg(a.attname::text) FROM pg_attribute a
                                           WHERE a.attrelid = t.oid AND a.attnum > 0
                                             AND NOT a.attisdropped
                                             AND a.attname <> 'heartbeat_at'));
    ELSE
      PERFORM rt_notify_data_attach(t.oid);
    END IF;
  END LOOP;
END $$;
