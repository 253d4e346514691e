-- Organizers' locks and vetoes, and the parties' "no thanks" (docs/matching.md, "Locks and
-- vetoes").
--
-- A lock puts a pair into every later run when it is feasible and its need and offer have room;
-- a veto, and a state's or a provider's "no thanks", keep a pair out of every suggestion and
-- run. One rule per pair and side: the organizers' (lock or veto), the state's, the provider's.
CREATE TABLE pair_rules (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  roundtable_id bigint NOT NULL REFERENCES roundtables (id),
  need_id bigint NOT NULL,
  offer_id bigint NOT NULL,
  rule text NOT NULL CHECK (rule IN ('lock', 'veto', 'no_thanks')),
  side text NOT NULL CHECK (side IN ('organizer', 'state', 'provider')),
  reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pair_rules_need_fkey FOREIGN KEY (need_id, roundtable_id)
    REFERENCES needs (id, roundtable_id),
  CONSTRAINT pair_rules_offer_fkey FOREIGN KEY (offer_id, roundtable_id)
    REFERENCES offers (id, roundtable_id),
  CONSTRAINT pair_rules_rule_fits_side CHECK ((rule = 'no_thanks') = (side <> 'organizer')),
  CONSTRAINT pair_rules_one_per_side UNIQUE (need_id, offer_id, side)
);
CREATE INDEX pair_rules_roundtable ON pair_rules (roundtable_id, id);
CREATE INDEX pair_rules_offer ON pair_rules (offer_id);

CREATE TRIGGER pair_rules_audit AFTER INSERT OR UPDATE OR DELETE ON pair_rules
  FOR EACH ROW EXECUTE FUNCTION rt_audit();

-- A match proposed because of a lock says so.
ALTER TABLE matches ADD COLUMN locked boolean NOT NULL DEFAULT false;
