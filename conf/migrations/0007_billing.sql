-- 0007: billing and monthly reports (DESIGN.md "Service rules").
--
-- Billing figures outlive the tenant's data: a cancelled tenant keeps its
-- row (status 2, cancelled_at), its monthly_active rows, its license_daily
-- rows and its reports, so an export of a closed month gives the same bytes
-- before and after the purge. Days are Asia/Tokyo days ('YYYY-MM-DD').

ALTER TABLE tenants ADD COLUMN cancelled_at INTEGER NOT NULL DEFAULT 0;

-- Licenses in use per tenant per day. Written in the same transaction as
-- every change of the pool (user added, status changed, import, contract
-- changed) and once a day by the gateway (cancelled tenants excepted), so in_use_peak is
-- the exact peak of the day and in_use_end the figure at the day's end. A
-- day without a row carries the previous row's figures.
CREATE TABLE license_daily (
	tenant_id	INTEGER NOT NULL,
	day		TEXT NOT NULL CHECK (length(day) = 10),
	contracted_ids	INTEGER NOT NULL,
	in_use_peak	INTEGER NOT NULL,
	in_use_end	INTEGER NOT NULL,
	-- The device-certificate option (licensed in blocks of 10).
	device_licensed	INTEGER NOT NULL DEFAULT 0,
	device_users	INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (tenant_id, day)
) WITHOUT ROWID;

-- Monthly reports as sent: generated once, kept (never regenerated in place).
CREATE TABLE reports (
	tenant_id	INTEGER NOT NULL,
	month		TEXT NOT NULL CHECK (length(month) = 7),
	from_day	TEXT NOT NULL,
	to_day		TEXT NOT NULL,
	due		TEXT NOT NULL,
	final		INTEGER NOT NULL DEFAULT 0,
	generated_at	INTEGER NOT NULL,
	html		BLOB NOT NULL,
	csv		BLOB NOT NULL,
	json		BLOB NOT NULL,
	PRIMARY KEY (tenant_id, month)
);

-- Daily jobs of the gateway (license snapshot, reports, log retention):
-- the last Asia/Tokyo day each one completed, shared by every process.
CREATE TABLE jobs (
	name		TEXT PRIMARY KEY,
	last_day	TEXT NOT NULL
);

-- The license day of every existing tenant, from today on.
INSERT INTO license_daily (tenant_id, day, contracted_ids, in_use_peak, in_use_end)
SELECT t.id, strftime('%Y-%m-%d', 'now', '+9 hours'), t.contracted_ids,
	COALESCE(c.n, 0), COALESCE(c.n, 0)
FROM tenants t LEFT JOIN (SELECT tenant_id, COUNT(*) AS n FROM users WHERE kind = 0
	AND status IN (0, 1) GROUP BY tenant_id) c ON c.tenant_id = t.id;
