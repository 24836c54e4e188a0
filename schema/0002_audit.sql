-- 0002_audit: the append-only audit trail. Each row carries the SHA-256 of its content chained
-- to the previous row's hash (computed by grader/db.c), and triggers refuse UPDATE and DELETE,
-- so history can only grow and an edit made behind the service's back breaks the chain.

CREATE TABLE audit (
	id            INTEGER PRIMARY KEY,
	ts            INTEGER NOT NULL,            -- ms since the epoch
	kind          TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
	submission_id INTEGER REFERENCES submissions(id),
	job_id        INTEGER REFERENCES jobs(id),
	student_id    INTEGER REFERENCES students(id),
	detail        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
	prev_hash     TEXT,                        -- NULL only for the first row
	hash          TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;
CREATE INDEX audit_job ON audit(job_id);
CREATE INDEX audit_submission ON audit(submission_id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit is append-only');
END;
