-- 0005: TOTP second factor, recovery codes, and each tenant's access policy.
--
-- user_mfa holds one TOTP secret per user, sealed under the master key
-- (gateway/util/seal.h); the store never sees it in clear. A secret is
-- unconfirmed until the user has entered a valid code once. last_step is
-- the last RFC 6238 time step accepted, so a code is never accepted twice.
CREATE TABLE user_mfa (
	user_id		INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	tenant_id	INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	totp_sealed	TEXT NOT NULL CHECK (length(totp_sealed) BETWEEN 1 AND 255),
	confirmed	INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
	last_step	INTEGER NOT NULL DEFAULT 0,
	updated_at	INTEGER NOT NULL
);
CREATE INDEX user_mfa_tenant ON user_mfa (tenant_id);

-- One-time recovery codes: the hex SHA-256 of the normalized code only.
CREATE TABLE user_recovery_codes (
	user_id		INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	hash		TEXT NOT NULL CHECK (length(hash) = 64),
	used_at		INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, hash)
) WITHOUT ROWID;

-- The tenant's access policy text (policy/ parses it) and whether every user
-- must use TOTP. No row = no policy (default allow), TOTP not required.
CREATE TABLE tenant_policy (
	tenant_id	INTEGER PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
	policy_text	TEXT,
	mfa_required	INTEGER NOT NULL DEFAULT 0 CHECK (mfa_required IN (0, 1)),
	updated_at	INTEGER NOT NULL
);

-- Generation: the snapshot holds the policy and who is enrolled (a confirmed
-- secret), so those changes bump it. A new unconfirmed secret, last_step
-- (every TOTP sign-in) and recovery codes are not in the snapshot and do not
-- bump it, so signing in never forces a rebuild.
CREATE TRIGGER user_mfa_gen_ins AFTER INSERT ON user_mfa WHEN NEW.confirmed = 1
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER user_mfa_gen_upd AFTER UPDATE OF confirmed ON user_mfa
	WHEN OLD.confirmed != NEW.confirmed
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER user_mfa_gen_del AFTER DELETE ON user_mfa WHEN OLD.confirmed = 1
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER tenant_policy_gen_ins AFTER INSERT ON tenant_policy
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_policy_gen_upd AFTER UPDATE ON tenant_policy
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_policy_gen_del AFTER DELETE ON tenant_policy
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
