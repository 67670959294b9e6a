-- 0002_oidc.sql - the tenant's OpenID provider: its signing keys, its
-- registered clients (relying parties) and who may use each client.
--
-- Same conventions as 0001: unix seconds, 0 = never/unset; statuses are the
-- integer values of enum idg_key_status in gateway/store/store.h. Lists are
-- stored as text: URIs separated by '\n', scopes and grant types by ' '.

-- status: 0 next (published in the JWKS, not yet signing), 1 current (signs),
-- 2 retired (still published until purged, so tokens it signed verify).
-- sealed: the private key encrypted under the master key (gateway/oidc/jose.h);
-- never the clear key.
CREATE TABLE signing_keys (
	id		INTEGER PRIMARY KEY,
	tenant_id	INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	use		TEXT NOT NULL DEFAULT 'oidc',
	alg		TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256')),
	kid		TEXT NOT NULL,
	sealed		TEXT NOT NULL,
	public_jwk	TEXT NOT NULL,
	status		INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
	created_at	INTEGER NOT NULL,
	activated_at	INTEGER NOT NULL DEFAULT 0,
	retired_at	INTEGER NOT NULL DEFAULT 0,
	UNIQUE (tenant_id, kid)
);
CREATE INDEX signing_keys_tenant ON signing_keys (tenant_id, use, alg, status);
-- One current (signing) key per tenant, use and alg.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (tenant_id, use, alg)
	WHERE status = 1;

-- secret_hash: hex SHA-256 of the client secret ('' for public clients); the
-- secret itself is shown once by the CLI and never stored.
CREATE TABLE oidc_clients (
	id			INTEGER PRIMARY KEY,
	tenant_id		INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	client_id		TEXT NOT NULL,
	name			TEXT NOT NULL DEFAULT '',
	confidential		INTEGER NOT NULL DEFAULT 1 CHECK (confidential IN (0, 1)),
	secret_hash		TEXT NOT NULL DEFAULT '',
	redirect_uris		TEXT NOT NULL DEFAULT '',
	post_logout_uris	TEXT NOT NULL DEFAULT '',
	scopes			TEXT NOT NULL
				DEFAULT 'openid profile email groups offline_access',
	grant_types		TEXT NOT NULL DEFAULT 'authorization_code refresh_token',
	id_token_alg		TEXT NOT NULL DEFAULT 'RS256'
				CHECK (id_token_alg IN ('RS256', 'ES256')),
	pairwise		INTEGER NOT NULL DEFAULT 0 CHECK (pairwise IN (0, 1)),
	initiate_login_uri	TEXT NOT NULL DEFAULT '',
	access_token_ttl_s	INTEGER NOT NULL DEFAULT 600 CHECK (access_token_ttl_s > 0),
	id_token_ttl_s		INTEGER NOT NULL DEFAULT 600 CHECK (id_token_ttl_s > 0),
	refresh_token_ttl_s	INTEGER NOT NULL DEFAULT 2592000
				CHECK (refresh_token_ttl_s > 0),
	-- may call the introspection endpoint (RFC 7662)
	resource_server		INTEGER NOT NULL DEFAULT 0 CHECK (resource_server IN (0, 1)),
	created_at		INTEGER NOT NULL,
	UNIQUE (tenant_id, client_id)
);

-- Who may sign in to a client: a user, or every member of a group.
CREATE TABLE oidc_client_assignments (
	client_row_id	INTEGER NOT NULL REFERENCES oidc_clients(id) ON DELETE CASCADE,
	user_id		INTEGER REFERENCES users(id) ON DELETE CASCADE,
	group_id	INTEGER REFERENCES groups(id) ON DELETE CASCADE,
	CHECK ((user_id IS NULL) != (group_id IS NULL)),
	UNIQUE (client_row_id, user_id, group_id)
);
-- UNIQUE above treats NULLs as distinct: these two enforce it per kind.
CREATE UNIQUE INDEX oidc_client_assignments_user
	ON oidc_client_assignments (client_row_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX oidc_client_assignments_group
	ON oidc_client_assignments (client_row_id, group_id) WHERE group_id IS NOT NULL;
CREATE INDEX oidc_client_assignments_u ON oidc_client_assignments (user_id);
CREATE INDEX oidc_client_assignments_g ON oidc_client_assignments (group_id);

-- Generation triggers: workers hold keys, clients and assignments in their
-- snapshot, so every change reloads it.
CREATE TRIGGER signing_keys_gen_ins AFTER INSERT ON signing_keys
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER signing_keys_gen_upd AFTER UPDATE ON signing_keys
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER signing_keys_gen_del AFTER DELETE ON signing_keys
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER oidc_clients_gen_ins AFTER INSERT ON oidc_clients
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER oidc_clients_gen_upd AFTER UPDATE ON oidc_clients
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER oidc_clients_gen_del AFTER DELETE ON oidc_clients
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER oidc_client_assignments_gen_ins AFTER INSERT ON oidc_client_assignments
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER oidc_client_assignments_gen_upd AFTER UPDATE ON oidc_client_assignments
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER oidc_client_assignments_gen_del AFTER DELETE ON oidc_client_assignments
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
