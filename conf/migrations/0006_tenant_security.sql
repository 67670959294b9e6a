-- 0006: each tenant's security settings, and when a user's password was set.
--
-- tenant_security: no row, or a zero in a column, means "use the config's
-- value" (password_min_length, session_idle_s, session_lifetime_s) or
-- "never" (password_expiry_days, suspend_unused_days). Ranges are checked by
-- the store (gateway/store/store.c) and again here.
CREATE TABLE tenant_security (
	tenant_id		INTEGER PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
	password_min_length	INTEGER NOT NULL DEFAULT 0
	    CHECK (password_min_length = 0 OR password_min_length BETWEEN 8 AND 128),
	password_expiry_days	INTEGER NOT NULL DEFAULT 0
	    CHECK (password_expiry_days BETWEEN 0 AND 3650),
	suspend_unused_days	INTEGER NOT NULL DEFAULT 0
	    CHECK (suspend_unused_days BETWEEN 0 AND 3650),
	session_idle_s		INTEGER NOT NULL DEFAULT 0
	    CHECK (session_idle_s = 0 OR session_idle_s BETWEEN 60 AND 2592000),
	session_lifetime_s	INTEGER NOT NULL DEFAULT 0
	    CHECK (session_lifetime_s = 0 OR session_lifetime_s BETWEEN 60 AND 7776000),
	updated_at		INTEGER NOT NULL
);

-- The snapshot holds the settings (session lifetimes, password rules).
CREATE TRIGGER tenant_security_gen_ins AFTER INSERT ON tenant_security
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_security_gen_upd AFTER UPDATE ON tenant_security
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_security_gen_del AFTER DELETE ON tenant_security
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;

-- Set to the current time by every write of a password hash (password
-- expiry counts from it). Like the hash itself it is not in the snapshot,
-- so users_gen_upd (0003) does not list it. Existing hashes count from the
-- user's creation.
ALTER TABLE users ADD COLUMN password_changed_at INTEGER NOT NULL DEFAULT 0;
UPDATE users SET password_changed_at = created_at WHERE password_hash != '';
