-- 0004: active IDs for billing. A user is active in month M (Asia/Tokyo
-- calendar month, 'YYYY-MM') once they sign in or use SSO in M; the first
-- such event is kept here, exactly once (the primary key), whatever Redis
-- or a crash does in between.
CREATE TABLE monthly_active (
	tenant_id	INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	month		TEXT NOT NULL CHECK (length(month) = 7),
	user_id		INTEGER NOT NULL,
	first_at	INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, month, user_id)
) WITHOUT ROWID;
