-- 0009: the device-certificate option (DESIGN.md "Service rules"; the pure
-- rules are in certs/devcert.h).
--
-- A tenant licenses the option for device_licensed IDs: 0 (off) or a
-- multiple of 10. Person users are given the option one by one
-- (users.device_license), never more than device_licensed of them; only
-- such a user may hold certificates, at most 10 valid at once (issued, not
-- revoked, not_before <= now < not_after). The store checks both counts
-- inside the writing transaction (gateway/store/store_sqlite.c); the CHECKs
-- below repeat what a single row can say.
--
-- Same conventions as 0001: unix seconds, 0 = never/unset. Certificate
-- serials are lower-case hex. Private keys are never stored in clear: the
-- CA key is sealed under the master key by certs/, device keys are not
-- stored at all.

ALTER TABLE tenants ADD COLUMN device_licensed INTEGER NOT NULL DEFAULT 0
	CHECK (device_licensed >= 0 AND device_licensed % 10 = 0);
-- Assigned users must pass the device check at sign-in.
ALTER TABLE tenants ADD COLUMN device_required INTEGER NOT NULL DEFAULT 0
	CHECK (device_required IN (0, 1));
-- Break-glass: members of the "admins" group skip the check.
ALTER TABLE tenants ADD COLUMN device_exempt_admins INTEGER NOT NULL DEFAULT 1
	CHECK (device_exempt_admins IN (0, 1));
-- Enrolment-API requests wait for an admin unless the device is pre-registered.
ALTER TABLE tenants ADD COLUMN device_approval INTEGER NOT NULL DEFAULT 0
	CHECK (device_approval IN (0, 1));

-- The user holds the option (person users only; cleared when deleted).
ALTER TABLE users ADD COLUMN device_license INTEGER NOT NULL DEFAULT 0
	CHECK (device_license IN (0, 1));

-- Sign-in to this client needs the device check.
ALTER TABLE oidc_clients ADD COLUMN device_required INTEGER NOT NULL DEFAULT 0
	CHECK (device_required IN (0, 1));

-- The tenant's CA: written once (certificate and sealed key), then only its
-- current CRL changes, and only to a higher crl_number (0 = no CRL yet).
-- alg is enum idg_ca_alg of certs/devcert.h.
CREATE TABLE tenant_ca (
	tenant_id	INTEGER PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
	alg		INTEGER NOT NULL CHECK (alg IN (0, 1, 2)),
	key_sealed	TEXT NOT NULL CHECK (length(key_sealed) > 0),
	cert_der	BLOB NOT NULL,
	crl_der		BLOB,
	crl_number	INTEGER NOT NULL DEFAULT 0,
	crl_next_update	INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL
);

-- Issued certificates, kept after revocation and expiry (the CRL lists the
-- revoked ones). status: 0 issued, 1 revoked (enum idg_devcert_status).
-- enrolled_by: 'portal', 'api' or 'admin'; revoked_by: who revoked it.
CREATE TABLE device_certs (
	id			INTEGER PRIMARY KEY,
	tenant_id		INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	user_id			INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	serial			TEXT NOT NULL CHECK (length(serial) BETWEEN 1 AND 32),
	device_id		TEXT NOT NULL,
	device_name		TEXT NOT NULL DEFAULT '',
	device_type		TEXT NOT NULL DEFAULT '',
	device_identifier	TEXT NOT NULL DEFAULT '',
	enrolled_by		TEXT NOT NULL DEFAULT '',
	not_before		INTEGER NOT NULL,
	not_after		INTEGER NOT NULL CHECK (not_after > not_before),
	status			INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1)),
	revoked_at		INTEGER NOT NULL DEFAULT 0,
	revoked_by		TEXT NOT NULL DEFAULT '',
	cert_der		BLOB NOT NULL,
	created_at		INTEGER NOT NULL,
	UNIQUE (tenant_id, serial)
);
CREATE INDEX device_certs_user ON device_certs (tenant_id, user_id);

-- Enrolment-API requests waiting for an admin (status 0), approved with the
-- serial of the certificate issued (1) or rejected (2). The CSR is kept as
-- sent, so approval issues for exactly the key that was requested.
CREATE TABLE device_requests (
	id			INTEGER PRIMARY KEY,
	tenant_id		INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	user_id			INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	device_id		TEXT NOT NULL,
	device_name		TEXT NOT NULL DEFAULT '',
	device_type		TEXT NOT NULL DEFAULT '',
	device_identifier	TEXT NOT NULL DEFAULT '',
	csr_der			BLOB NOT NULL,
	status			INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
	serial			TEXT NOT NULL DEFAULT '',
	decided_by		TEXT NOT NULL DEFAULT '',
	created_at		INTEGER NOT NULL,
	decided_at		INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX device_requests_pending ON device_requests (tenant_id, status);

-- Pre-registered devices (CSV import): a request naming one of these for
-- the same user's e-mail (lower-cased) is approved at once. An identifier
-- belongs to one user of a tenant.
CREATE TABLE device_prereg (
	tenant_id		INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	email			TEXT NOT NULL,
	device_type		TEXT NOT NULL DEFAULT '',
	device_identifier	TEXT NOT NULL CHECK (length(device_identifier) > 0),
	PRIMARY KEY (tenant_id, device_identifier)
) WITHOUT ROWID;

-- Generation: tenants_gen_upd and oidc_clients_gen_upd already fire on any
-- update, so the settings and device_required reload the snapshot. Who holds
-- the option is in the snapshot too: users_gen_upd now lists device_license.
-- The snapshot also holds each tenant's CA certificate and its revoked
-- serials (a session checked with a certificate revoked since ends at its
-- next request), so a new CA and a revocation bump it. Issuing, requests and
-- pre-registrations do not (the device check reads the store each time).
DROP TRIGGER users_gen_upd;
CREATE TRIGGER users_gen_upd AFTER UPDATE OF tenant_id, email, display_name, status,
	kind, must_change_password, sessions_not_before, created_at, device_license ON users
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_ca_gen_ins AFTER INSERT ON tenant_ca
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER device_certs_gen_revoke AFTER UPDATE OF status ON device_certs
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
