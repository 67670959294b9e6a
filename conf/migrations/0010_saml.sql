-- 0010_saml.sql - the tenant's SAML 2.0 identity provider: its registered
-- service providers ("SAML apps") and who may use each one.
--
-- Same conventions as 0001: unix seconds, 0 = never/unset, flags are 0/1.
-- The IdP's own signing keys live in signing_keys (0002) with use = 'saml'
-- and alg 'RS256'; for them public_jwk holds the X.509 certificate (PEM),
-- kid the base64url SHA-256 of its DER, and sealed the PKCS#8 private key
-- sealed under the master key. No new column is needed for that.
--
-- The store (gateway/store/store.c) checks every field before writing; the
-- CHECKs below repeat what a single row can say, so a manual fix cannot
-- store what the gateway would refuse to load.

-- app_id: the short id used in URLs ([a-z0-9-], 1..63), unique per tenant.
-- entity_id: the SP's entityID, unique per tenant (an SP is found by it).
-- metadata: the SP's EntityDescriptor as text (at most 256 KiB), checked
-- with idg_saml_sp_metadata_check by the caller before it is stored.
-- nameid_format: enum idg_saml_nameid_format (0 unspecified, 1 emailAddress,
-- 2 persistent). nameid_source: 'email' or 'attr:NAME'.
-- attributes: "SAML-NAME=SOURCE" lines (SOURCE email | display_name | groups
-- | const:TEXT), parsed by the gateway; stored as given.
-- sign_requests: the SP signs its AuthnRequests; unsigned ones are refused.
CREATE TABLE saml_apps (
	id			INTEGER PRIMARY KEY,
	tenant_id		INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	app_id			TEXT NOT NULL CHECK (length(app_id) BETWEEN 1 AND 63
				AND app_id NOT GLOB '*[^a-z0-9-]*'),
	name			TEXT NOT NULL CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 128),
	entity_id		TEXT NOT NULL
				CHECK (length(CAST(entity_id AS BLOB)) BETWEEN 1 AND 1024),
	metadata		TEXT NOT NULL
				CHECK (length(CAST(metadata AS BLOB)) BETWEEN 1 AND 262144),
	nameid_format		INTEGER NOT NULL DEFAULT 1 CHECK (nameid_format IN (0, 1, 2)),
	nameid_source		TEXT NOT NULL DEFAULT 'email',
	attributes		TEXT NOT NULL DEFAULT ''
				CHECK (length(CAST(attributes AS BLOB)) <= 4096),
	sign_requests		INTEGER NOT NULL DEFAULT 0 CHECK (sign_requests IN (0, 1)),
	sign_assertion		INTEGER NOT NULL DEFAULT 1 CHECK (sign_assertion IN (0, 1)),
	sign_response		INTEGER NOT NULL DEFAULT 1 CHECK (sign_response IN (0, 1)),
	encrypt_assertion	INTEGER NOT NULL DEFAULT 0 CHECK (encrypt_assertion IN (0, 1)),
	sp_initiated		INTEGER NOT NULL DEFAULT 1 CHECK (sp_initiated IN (0, 1)),
	idp_initiated		INTEGER NOT NULL DEFAULT 1 CHECK (idp_initiated IN (0, 1)),
	-- Sign-in to this app needs the device check (as oidc_clients, 0009).
	device_required		INTEGER NOT NULL DEFAULT 0 CHECK (device_required IN (0, 1)),
	created_at		INTEGER NOT NULL,
	-- An unsigned answer is worthless: something is always signed.
	CHECK (sign_assertion = 1 OR sign_response = 1),
	UNIQUE (tenant_id, app_id),
	UNIQUE (tenant_id, entity_id)
);

-- Who may sign in to an app: a user, or every member of a group (as 0002).
CREATE TABLE saml_app_assignments (
	app_row_id	INTEGER NOT NULL REFERENCES saml_apps(id) ON DELETE CASCADE,
	user_id		INTEGER REFERENCES users(id) ON DELETE CASCADE,
	group_id	INTEGER REFERENCES groups(id) ON DELETE CASCADE,
	CHECK ((user_id IS NULL) != (group_id IS NULL))
);
CREATE UNIQUE INDEX saml_app_assignments_user
	ON saml_app_assignments (app_row_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX saml_app_assignments_group
	ON saml_app_assignments (app_row_id, group_id) WHERE group_id IS NOT NULL;
CREATE INDEX saml_app_assignments_u ON saml_app_assignments (user_id);
CREATE INDEX saml_app_assignments_g ON saml_app_assignments (group_id);

-- Generation triggers: workers hold the apps and their assignments in their
-- snapshot (and rebuild the tenant's IdP from them), so every change reloads it.
CREATE TRIGGER saml_apps_gen_ins AFTER INSERT ON saml_apps
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER saml_apps_gen_upd AFTER UPDATE ON saml_apps
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER saml_apps_gen_del AFTER DELETE ON saml_apps
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER saml_app_assignments_gen_ins AFTER INSERT ON saml_app_assignments
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER saml_app_assignments_gen_upd AFTER UPDATE ON saml_app_assignments
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER saml_app_assignments_gen_del AFTER DELETE ON saml_app_assignments
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
