-- Lighter writes for match runs.
--
-- A run writes every proposal in one INSERT: 20,000 rows for a 10,000 x 10,000 roundtable, each
-- checked against every foreign key of matches one row at a time. matches.roundtable_id already
-- follows from matches_run_fkey, (run_id, roundtable_id) -> match_runs (id, roundtable_id), whose
-- roundtable_id references roundtables; the direct reference adds a check per row and no
-- guarantee, so it goes (about a sixth of the write's time).
ALTER TABLE matches DROP CONSTRAINT matches_roundtable_id_fkey;

-- A new run of an unchanged roundtable proposes the same pairs again, and each keeps its match
-- (its id and any side's accept) and takes the new run_id. With run_id out of every index and
-- room left on each page, such an update is HOT: a new row version on the same page and no new
-- index entries. GET /matches?run_id= finds a run's matches through the roundtable's index
-- instead (service/api/matches.c).
DROP INDEX matches_run_score;
ALTER TABLE matches SET (fillfactor = 70);
