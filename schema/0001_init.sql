-- 0001_init: the grading data model. Assignments (versioned), their tests, students, submissions,
-- batches, the job queue, per-test results and one verdict per finished job.
-- Times are INTEGER milliseconds since the Unix epoch (UTC); NULL means "not yet".
-- Blob paths are relative to the service's data dir and name content-addressed copies, so a
-- stored path never changes meaning once written.

CREATE TABLE assignments (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
	version     INTEGER NOT NULL CHECK (version >= 1),
	title       TEXT,
	spec_json   TEXT NOT NULL CHECK (json_valid(spec_json)),
	tests_blob  TEXT NOT NULL,                -- content-addressed copy of the assignment dir
	due_at      INTEGER,                      -- NULL: no due date
	created_at  INTEGER NOT NULL,
	UNIQUE (name, version)
) STRICT;

CREATE TABLE tests (
	id            INTEGER PRIMARY KEY,
	assignment_id INTEGER NOT NULL REFERENCES assignments(id),
	ordinal       INTEGER NOT NULL CHECK (ordinal >= 0),  -- position in the spec's tests[]
	name          TEXT NOT NULL,
	points        REAL NOT NULL CHECK (points >= 0),
	visibility    TEXT NOT NULL CHECK (visibility IN ('visible', 'hidden', 'after_due_date')),
	UNIQUE (assignment_id, name),
	UNIQUE (assignment_id, ordinal)
) STRICT;

CREATE TABLE students (
	id           INTEGER PRIMARY KEY,
	login        TEXT NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 128),
	display_name TEXT,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE submissions (
	id            INTEGER PRIMARY KEY,
	student_id    INTEGER NOT NULL REFERENCES students(id),
	assignment_id INTEGER NOT NULL REFERENCES assignments(id),
	sha256        TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
	size          INTEGER NOT NULL CHECK (size >= 0),
	original_name TEXT,                       -- as uploaded; student-controlled, escape on output
	blob_path     TEXT NOT NULL,
	created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX submissions_student ON submissions(student_id, assignment_id);
CREATE INDEX submissions_assignment ON submissions(assignment_id);

-- A batch groups jobs enqueued together (a regrade of a whole assignment, a bulk import).
CREATE TABLE batches (
	id            INTEGER PRIMARY KEY,
	assignment_id INTEGER REFERENCES assignments(id),
	kind          TEXT NOT NULL CHECK (kind IN ('grade', 'regrade')),
	created_by    TEXT,
	note          TEXT,
	created_at    INTEGER NOT NULL
) STRICT;

-- The queue. A worker owns a running job while lease_expires_at is in the future; an expired
-- lease makes the job claimable again (grader/queue.c), up to max_attempts claims.
CREATE TABLE jobs (
	id               INTEGER PRIMARY KEY,
	submission_id    INTEGER NOT NULL REFERENCES submissions(id),
	batch_id         INTEGER REFERENCES batches(id),
	kind             TEXT NOT NULL DEFAULT 'grade' CHECK (kind IN ('grade', 'regrade')),
	state            TEXT NOT NULL DEFAULT 'queued'
	                 CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
	priority         INTEGER NOT NULL DEFAULT 0,
	attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts     INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
	lease_owner      TEXT,
	lease_expires_at INTEGER,
	heartbeat_at     INTEGER,
	queued_at        INTEGER NOT NULL,
	started_at       INTEGER,
	unpacked_at      INTEGER,
	built_at         INTEGER,
	finished_at      INTEGER,
	last_error       TEXT,
	-- A running job always has an owner and a lease; nothing else has one.
	CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
) STRICT;
-- Serves the claim's "best queued or expired job" scan.
CREATE INDEX jobs_claim ON jobs(state, priority DESC, id);
CREATE INDEX jobs_submission ON jobs(submission_id);

-- One row per (job, test) that was run. Output is kept as a capped head and tail plus the full
-- byte count, so a student printing gigabytes cannot grow the database.
CREATE TABLE test_results (
	id           INTEGER PRIMARY KEY,
	job_id       INTEGER NOT NULL REFERENCES jobs(id),
	test_id      INTEGER NOT NULL REFERENCES tests(id),
	status       TEXT NOT NULL
	             CHECK (status IN ('OK', 'RE', 'SG', 'TO', 'WT', 'ML', 'OL', 'SV', 'XX')),
	verdict      TEXT NOT NULL
	             CHECK (verdict IN ('AC', 'WA', 'CE', 'TLE', 'MLE', 'OLE', 'RE', 'SG', 'SV', 'RJ',
	                                   'IE')),
	score        REAL NOT NULL CHECK (score >= 0),
	cpu_ms       INTEGER NOT NULL DEFAULT 0 CHECK (cpu_ms >= 0),
	wall_ms      INTEGER NOT NULL DEFAULT 0 CHECK (wall_ms >= 0),
	memory_kb    INTEGER NOT NULL DEFAULT 0 CHECK (memory_kb >= 0),
	exit_code    INTEGER,                     -- NULL when killed by a signal or never started
	signal       INTEGER,                     -- NULL when it exited
	stdout_head  BLOB CHECK (length(stdout_head) <= 65536),
	stdout_tail  BLOB CHECK (length(stdout_tail) <= 65536),
	stdout_bytes INTEGER NOT NULL DEFAULT 0 CHECK (stdout_bytes >= 0),
	stderr_head  BLOB CHECK (length(stderr_head) <= 65536),
	stderr_tail  BLOB CHECK (length(stderr_tail) <= 65536),
	stderr_bytes INTEGER NOT NULL DEFAULT 0 CHECK (stderr_bytes >= 0),
	message      TEXT,                        -- checker's note ("line 3: expected 4, got 5")
	UNIQUE (job_id, test_id)
) STRICT;

-- The outcome of a job: exactly one row per finished (done or failed) job.
CREATE TABLE verdicts (
	job_id          INTEGER PRIMARY KEY REFERENCES jobs(id),
	verdict         TEXT NOT NULL
	                CHECK (verdict IN ('AC', 'WA', 'CE', 'TLE', 'MLE', 'OLE', 'RE', 'SG', 'SV', 'RJ',
	                                   'IE')),
	score           REAL NOT NULL CHECK (score >= 0),
	max_score       REAL NOT NULL CHECK (max_score >= 0),
	compiler_output TEXT CHECK (length(compiler_output) <= 65536),
	message         TEXT,
	created_at      INTEGER NOT NULL
) STRICT;
