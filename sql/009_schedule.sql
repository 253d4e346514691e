-- 009: the roundtable's meeting schedule (docs/schedule.md). A roundtable has time slots and
-- tables (rooms or virtual links); participants mark the slots they cannot make; POST
-- /roundtables/{id}/schedule places the proposed and agreed partnerships into (slot, table)
-- cells and writes the result here in one statement, replacing the previous schedule.

CREATE TABLE schedule_slots (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  roundtable_id bigint NOT NULL REFERENCES roundtables (id),
  session text NOT NULL DEFAULT '' CHECK (length(session) <= 200),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  CONSTRAINT schedule_slots_ordered CHECK (ends_at > starts_at),
  CONSTRAINT schedule_slots_id_roundtable UNIQUE (id, roundtable_id)
);
CREATE INDEX schedule_slots_roundtable ON schedule_slots (roundtable_id, starts_at, id);

CREATE TABLE schedule_tables (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  roundtable_id bigint NOT NULL REFERENCES roundtables (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  location text NOT NULL DEFAULT '' CHECK (length(location) <= 500),
  CONSTRAINT schedule_tables_id_roundtable UNIQUE (id, roundtable_id)
);
CREATE INDEX schedule_tables_roundtable ON schedule_tables (roundtable_id, id);

-- A participant cannot meet in these slots. A slot that goes takes its marks with it.
CREATE TABLE schedule_unavailability (
  roundtable_id bigint NOT NULL,
  participant_id bigint NOT NULL REFERENCES participants (id),
  slot_id bigint NOT NULL,
  PRIMARY KEY (participant_id, slot_id),
  CONSTRAINT schedule_unavailability_slot_fkey FOREIGN KEY (slot_id, roundtable_id)
    REFERENCES schedule_slots (id, roundtable_id) ON DELETE CASCADE
);
CREATE INDEX schedule_unavailability_roundtable ON schedule_unavailability (roundtable_id, slot_id);
CREATE INDEX schedule_unavailability_slot ON schedule_unavailability (slot_id);

-- One schedule per roundtable is kept (the newest; a POST deletes the older ones in the same
-- statement that writes its own).
CREATE TABLE schedules (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  roundtable_id bigint NOT NULL REFERENCES roundtables (id),
  -- {"group": "need"|"pair", "agreed_first": bool}
  params jsonb NOT NULL CHECK (jsonb_typeof(params) = 'object'),
  -- {"meetings", "placed", "unplaced", "matches_placed", "total_score", "optimal", ...}
  stats jsonb NOT NULL CHECK (jsonb_typeof(stats) = 'object'),
  -- [{"need_id", "match_ids", "participant_ids", "reason", "participant_id"}]
  unplaced jsonb NOT NULL CHECK (jsonb_typeof(unplaced) = 'array'),
  created_by bigint REFERENCES tokens (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT schedules_id_roundtable UNIQUE (id, roundtable_id)
);
CREATE INDEX schedules_roundtable ON schedules (roundtable_id, id);
CREATE INDEX schedules_created_by ON schedules (created_by);

-- A meeting: one need's state and the providers of its partnerships at one table in one slot.
-- match_ids name the partnerships (not keys: a later match run may replace proposed ones, and
-- readers show only those still live); participant_ids list the state first.
CREATE TABLE schedule_meetings (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  schedule_id bigint NOT NULL,
  roundtable_id bigint NOT NULL,
  slot_id bigint NOT NULL,
  table_id bigint NOT NULL,
  need_id bigint NOT NULL REFERENCES needs (id),
  match_ids bigint[] NOT NULL CHECK (cardinality(match_ids) >= 1),
  participant_ids bigint[] NOT NULL CHECK (cardinality(participant_ids) >= 2),
  score double precision NOT NULL CHECK (score >= 0),
  CONSTRAINT schedule_meetings_schedule_fkey FOREIGN KEY (schedule_id, roundtable_id)
    REFERENCES schedules (id, roundtable_id) ON DELETE CASCADE,
  CONSTRAINT schedule_meetings_slot_fkey FOREIGN KEY (slot_id, roundtable_id)
    REFERENCES schedule_slots (id, roundtable_id) ON DELETE CASCADE,
  CONSTRAINT schedule_meetings_table_fkey FOREIGN KEY (table_id, roundtable_id)
    REFERENCES schedule_tables (id, roundtable_id) ON DELETE CASCADE,
  -- A table holds one meeting at a time.
  CONSTRAINT schedule_meetings_one_per_cell UNIQUE (schedule_id, slot_id, table_id)
);
CREATE INDEX schedule_meetings_slot ON schedule_meetings (slot_id);
CREATE INDEX schedule_meetings_table ON schedule_meetings (table_id);
CREATE INDEX schedule_meetings_need ON schedule_meetings (need_id);
CREATE INDEX schedule_meetings_participants ON schedule_meetings USING gin (participant_ids);

CREATE TRIGGER schedule_slots_audit AFTER INSERT OR UPDATE OR DELETE ON schedule_slots
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
CREATE TRIGGER schedule_tables_audit AFTER INSERT OR UPDATE OR DELETE ON schedule_tables
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
CREATE TRIGGER schedules_audit AFTER INSERT OR DELETE ON schedules
  FOR EACH ROW EXECUTE FUNCTION rt_audit();
