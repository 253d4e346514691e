-- 001: foundations. The domain schema (participants, needs, offers, ...) comes in later
-- files. Each file runs in its own transaction (roundtable migrate records it in
-- schema_migrations): no BEGIN/COMMIT here, and nothing that cannot run in a transaction.

-- Names and descriptions carry Chinese as well as English: refuse a database that could
-- not store them.
DO $$
BEGIN
  IF current_setting('server_encoding') <> 'UTF8' THEN
    RAISE EXCEPTION 'the database encoding is %, roundtable needs UTF8',
      current_setting('server_encoding');
  END IF;
END
$$;

-- Facts about this database as a whole, e.g. when it was set up. Small and key-addressed.
CREATE TABLE service_info (
  key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]*$'),
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO service_info (key, value) VALUES ('initialized_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
