-- 004: matching. Runs of the engine over one roundtable (match_runs), the partnerships they
-- propose and the parties' decisions on them (matches), and the pairs a party declined, which
-- are never proposed again (declined_pairs). docs/matching.md ("In the service") explains the
-- workflow; the rules below hold whatever path writes.

-- Composite keys so that a match's need, offer and run provably belong to its roundtable.
ALTER TABLE needs ADD CONSTRAINT needs_id_roundtable UNIQUE (id, roundtable_id);
ALTER TABLE offers ADD CONSTRAINT offers_id_roundtable UNIQUE (id, roundtable_id);

CREATE TABLE match_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  roundtable_id bigint NOT NULL REFERENCES roundtables (id),
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  progress real NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  -- {"min_score": x, "weights": {criterion: weight}}: what the run used, weights normalised
  params jsonb NOT NULL CHECK (jsonb_typeof(params) = 'object'),
  -- {"needs", "offers", "pairs_scored", "feasible_pairs", "matches", "total_score", "elapsed_ms"}
  stats jsonb CHECK (jsonb_typeof(stats) = 'object'),
  error text CHECK (length(error) <= 2000),
  created_by bigint REFERENCES tokens (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  -- Refreshed by the process running it (at least every second or so): a live run whose
  -- heartbeat is older than the service's --match-run-stale is dead and is failed by the
  -- next request that looks at it.
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT match_runs_id_roundtable UNIQUE (id, roundtable_id),
  CONSTRAINT match_runs_finished_when_done
    CHECK ((status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)),
  CONSTRAINT match_runs_error_when_failed CHECK ((status = 'failed') = (error IS NOT NULL)),
  CONSTRAINT match_runs_stats_when_succeeded CHECK (status <> 'succeeded' OR stats IS NOT NULL),
  CONSTRAINT match_runs_started_when_running
    CHECK (status IN ('queued', 'failed') OR started_at IS NOT NULL)
);
-- One run per roundtable at a time, across every process that serves the database.
CREATE UNIQUE INDEX match_runs_one_live ON match_runs (roundtable_id)
  WHERE status IN ('queued', 'running');
CREATE INDEX match_runs_roundtable ON match_runs (roundtable_id, id);
CREATE INDEX match_runs_created_by ON match_runs (created_by);

CREATE TABLE matches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  roundtable_id bigint NOT NULL REFERENCES roundtables (id),
  run_id bigint NOT NULL,
  need_id bigint NOT NULL,
  offer_id bigint NOT NULL,
  -- score_q / 2^30 of the engine: exact in a double, so comparisons and sums are exact
  score double precision NOT NULL CHECK (score >= 0 AND score <= 1),
  -- {criterion: {"value", "weight"}}, in the order of the criteria (json keeps it as written)
  breakdown json NOT NULL CHECK (json_typeof(breakdown) = 'object'),
  status text NOT NULL DEFAULT 'proposed'
    CHECK (status IN ('proposed', 'agreed', 'declined', 'completed')),
  state_decision text CHECK (state_decision IN ('accept', 'decline')),
  provider_decision text CHECK (provider_decision IN ('accept', 'decline')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  CONSTRAINT matches_run_fkey FOREIGN KEY (run_id, roundtable_id)
    REFERENCES match_runs (id, roundtable_id),
  CONSTRAINT matches_need_fkey FOREIGN KEY (need_id, roundtable_id)
    REFERENCES needs (id, roundtable_id),
  CONSTRAINT matches_offer_fkey FOREIGN KEY (offer_id, roundtable_id)
    REFERENCES offers (id, roundtable_id),
  -- The status follows from the two decisions: both accept = agreed (completed once the need
  -- is fulfilled), one decline = declined, otherwise proposed.
  CONSTRAINT matches_status_follows_decisions CHECK (
    CASE status
      WHEN 'proposed' THEN coalesce(state_decision, '') <> 'decline'
                       AND coalesce(provider_decision, '') <> 'decline'
                       AND NOT (state_decision = 'accept' AND provider_decision = 'accept')
      WHEN 'declined' THEN 'decline' IN (state_decision, provider_decision)
      ELSE state_decision = 'accept' AND provider_decision = 'accept'
    END),
  CONSTRAINT matches_decided_when_settled CHECK ((status = 'proposed') = (decided_at IS NULL))
);
-- A pair has at most one live match: proposed, agreed or completed.
CREATE UNIQUE INDEX matches_one_live_per_pair ON matches (need_id, offer_id)
  WHERE status IN ('proposed', 'agreed', 'completed');
-- The filters and orders of GET /matches.
CREATE INDEX matches_roundtable_score ON matches (roundtable_id, score DESC, id);
CREATE INDEX matches_run_score ON matches (run_id, score DESC, id);
CREATE INDEX matches_need ON matches (need_id, id);
CREATE INDEX matches_offer ON matches (offer_id, id);
CREATE INDEX matches_status_score ON matches (status, score DESC, id);
CREATE INDEX matches_score ON matches (score DESC, id);
CREATE INDEX matches_created ON matches (created_at, id);
CREATE TRIGGER matches_touch BEFORE UPDATE ON matches
  FOR EACH ROW EXECUTE FUNCTION rt_touch_updated_at();

-- Declined pairs are never proposed again (the engine is given them; a run's write skips them).
CREATE TABLE declined_pairs (
  need_id bigint NOT NULL REFERENCES needs (id),
  offer_id bigint NOT NULL REFERENCES offers (id),
  match_id bigint REFERENCES matches (id),
  declined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (need_id, offer_id)
);
CREATE INDEX declined_pairs_offer ON declined_pairs (offer_id);

-- A need declared fulfilled completes its agreed partnerships.
CREATE FUNCTION rt_needs_fulfilled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE matches SET status = 'completed' WHERE need_id = NEW.id AND status = 'agreed';
  RETURN NULL;
END $$;
CREATE TRIGGER needs_fulfilled AFTER UPDATE OF status ON needs
  FOR EACH ROW WHEN (NEW.status = 'fulfilled' AND OLD.status IS DISTINCT FROM 'fulfilled')
  EXECUTE FUNCTION rt_needs_fulfilled();

-- The key of the transaction-level advisory lock that orders a run's write against decisions
-- on the same roundtable (runs take it exclusive, decisions shared).
CREATE FUNCTION rt_match_lock_key(roundtable_id bigint) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (roundtable_id & 2147483647)::integer
$$;
