-- Runners dedicated to some job kinds claim through this index, so their scan never reads
-- (and briefly locks) the rows of other kinds.
ALTER TABLE jobs ADD KEY idx_jobs_kind_due (status, kind, run_at);
