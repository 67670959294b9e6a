-- 0008: the number of active IDs per tenant and month, kept by trigger so
-- the billing export reads one row instead of counting monthly_active (the
-- count was 36% of an export of 10,000 tenants; BENCHMARKS.md). A repeated
-- mark (INSERT OR IGNORE of an existing row) inserts nothing and fires
-- nothing, so the count stays exact.
CREATE TABLE monthly_active_count (
	tenant_id	INTEGER NOT NULL,
	month		TEXT NOT NULL CHECK (length(month) = 7),
	n		INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, month)
) WITHOUT ROWID;

INSERT INTO monthly_active_count (tenant_id, month, n)
SELECT tenant_id, month, COUNT(*) FROM monthly_active GROUP BY tenant_id, month;

CREATE TRIGGER monthly_active_count_ins AFTER INSERT ON monthly_active
BEGIN
	INSERT INTO monthly_active_count (tenant_id, month, n)
	VALUES (NEW.tenant_id, NEW.month, 1)
	ON CONFLICT (tenant_id, month) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER monthly_active_count_del AFTER DELETE ON monthly_active
BEGIN
	UPDATE monthly_active_count SET n = n - 1
	WHERE tenant_id = OLD.tenant_id AND month = OLD.month;
END;
