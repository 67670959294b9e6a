-- 0001_init.sql - the first schema of the idgate store (SQLite).
--
-- Applied once by `idgate migrate` inside one transaction; the version is
-- taken from the file name. Never edit a released migration: add
-- NNNN_name.sql with the next number instead.
--
-- Times are unix seconds (INTEGER); 0 means "never/unset". Statuses and
-- kinds are the integer values of the enums in gateway/store/store.h.

CREATE TABLE IF NOT EXISTS schema_migrations (
	version		INTEGER PRIMARY KEY,
	applied_at	INTEGER NOT NULL
);

-- One row: the generation counter workers poll to reload their directory
-- snapshot. Bumped by the triggers below, so every writer (the gateway, the
-- CLI, another process or node) bumps it.
CREATE TABLE store_meta (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	generation	INTEGER NOT NULL DEFAULT 0
);
INSERT INTO store_meta (id, generation) VALUES (1, 0);

CREATE TABLE tenants (
	id			INTEGER PRIMARY KEY,
	company_id		TEXT NOT NULL UNIQUE,
	name			TEXT NOT NULL,
	-- Service rules: contracted for N >= 20 IDs.
	contracted_ids		INTEGER NOT NULL CHECK (contracted_ids >= 20),
	status			INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
	created_at		INTEGER NOT NULL,
	setup_completed_at	INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
	id			INTEGER PRIMARY KEY,
	tenant_id		INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	email			TEXT NOT NULL,		-- lower-cased
	display_name		TEXT NOT NULL DEFAULT '',
	status			INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
	kind			INTEGER NOT NULL DEFAULT 0 CHECK (kind IN (0, 1, 2)),
	password_hash		TEXT NOT NULL DEFAULT '',
	must_change_password	INTEGER NOT NULL DEFAULT 0,
	failed_attempts		INTEGER NOT NULL DEFAULT 0,
	locked_until		INTEGER NOT NULL DEFAULT 0,
	last_sign_in_at		INTEGER NOT NULL DEFAULT 0,
	sessions_not_before	INTEGER NOT NULL DEFAULT 0,
	created_at		INTEGER NOT NULL,
	updated_at		INTEGER NOT NULL,
	UNIQUE (tenant_id, email)
);
-- The license count: person users (kind 0) active or suspended (0, 1).
CREATE INDEX users_license ON users (tenant_id, kind, status);

CREATE TABLE groups (
	id		INTEGER PRIMARY KEY,
	tenant_id	INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	UNIQUE (tenant_id, name)
);

CREATE TABLE group_members (
	group_id	INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
	user_id		INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_id);

-- Kept one year (service rules); tenant_id 0 = provider-level event. No
-- foreign key: the log outlives a purged tenant.
CREATE TABLE audit_log (
	id		INTEGER PRIMARY KEY,
	at		INTEGER NOT NULL,
	tenant_id	INTEGER NOT NULL DEFAULT 0,
	actor		TEXT NOT NULL,
	action		TEXT NOT NULL,
	target		TEXT,
	result		TEXT NOT NULL,
	ip		TEXT,
	detail		TEXT
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);

-- Generation triggers. users: sign-in bookkeeping (failed_attempts,
-- last_sign_in_at) does not change the directory, so updates touching only
-- those columns do not bump the generation; a lockout (locked_until) does.
CREATE TRIGGER tenants_gen_ins AFTER INSERT ON tenants
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER tenants_gen_upd AFTER UPDATE ON tenants
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER tenants_gen_del AFTER DELETE ON tenants
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER users_gen_ins AFTER INSERT ON users
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER users_gen_upd AFTER UPDATE OF tenant_id, email, display_name, status,
	kind, password_hash, must_change_password, locked_until, sessions_not_before,
	created_at ON users
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER users_gen_del AFTER DELETE ON users
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER groups_gen_ins AFTER INSERT ON groups
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER groups_gen_upd AFTER UPDATE ON groups
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER groups_gen_del AFTER DELETE ON groups
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER group_members_gen_ins AFTER INSERT ON group_members
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER group_members_gen_upd AFTER UPDATE ON group_members
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER group_members_gen_del AFTER DELETE ON group_members
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
