-- 0003: the snapshot holds neither lock times nor password hashes, so changes
-- to them no longer bump the generation. Before this, anyone able to trigger
-- lockouts made every worker rebuild its directory. A password change still
-- bumps it, through sessions_not_before.
DROP TRIGGER users_gen_upd;
CREATE TRIGGER users_gen_upd AFTER UPDATE OF tenant_id, email, display_name, status,
	kind, must_change_password, sessions_not_before, created_at ON users
BEGIN UPDATE store_meta SET generation = generation + 1 WHERE id = 1; END;
