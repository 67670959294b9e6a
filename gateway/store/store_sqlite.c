/*
 * store_sqlite.c - the "sqlite" backend of store.h: one SQLite connection
 * per instance, WAL mode, foreign keys on, prepared statements cached per
 * instance.
 *
 * Rules that depend on counts (the license pool, contract changes) are
 * checked inside a BEGIN IMMEDIATE transaction, which takes SQLite's write
 * lock before the count is read, so two processes cannot both take the last
 * license. The generation counter is bumped by triggers in the schema, not
 * here. This file is not the schema (conf/migrations) and not the rules
 * themselves (gateway/core/license.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "../../certs/devcert.h"	/* the option's constants only; certs/ is not linked */
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/status.h"
#include "../util/str.h"
#include "store_impl.h"

enum sid {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_MIG_TABLE, S_MIG_HAS, S_MIG_ADD, S_MIG_MAX,
	S_GEN,
	S_T_INS, S_T_GET, S_T_LIST, S_T_LIST_BRIEF, S_T_LIC, S_T_SETC, S_T_SETUP,
	S_U_INS, S_U_BYEMAIL, S_U_BYID, S_U_LIST, S_U_STATUS, S_U_PW, S_U_UNLOCK,
	S_U_SIGNIN_READ, S_U_SIGNIN_OK, S_U_SIGNIN_FAIL, S_U_LOCK, S_U_EXISTS,
	S_U_SUSPEND_KIND, S_U_LIVE_ID,
	S_G_INS, S_G_BYNAME, S_G_LIST, S_G_OFUSER, S_GM_INS,
	S_A_INS, S_A_LIST_ALL, S_A_LIST_T, S_MA_INS, S_MA_COUNT,
	S_K_INS, S_K_LIST_ALL, S_K_LIST_USE, S_K_NEXT, S_K_RETIRE, S_K_ACTIVATE, S_K_PURGE,
	S_C_INS, S_C_GET, S_C_LIST, S_C_ROWID, S_C_DEL, S_C_SECRET,
	S_CA_INS_U, S_CA_INS_G, S_CA_LIST, S_CA_USERS,
	S_MFA_GET, S_MFA_STATE, S_MFA_INS, S_MFA_DEL, S_MFA_CONFIRM, S_MFA_STEP,
	S_RC_DEL, S_RC_INS, S_RC_USE, S_P_GET, S_P_SET,
	S_SEC_GET, S_SEC_SET, S_U_SUSPEND_UNUSED,
	S_LD_TOUCH, S_LD_LIVE, S_LD_DAYS, S_MA_DAYS, S_A_COUNTS, S_A_PURGE,
	S_T_APPS, S_X_USERS, S_X_GROUPS, S_X_CLIENTS, S_X_KEYS, S_X_POLICY, S_X_SEC,
	S_T_CANCEL, S_R_INS, S_R_GET, S_R_LIST_ALL, S_R_LIST_T, S_J_GET, S_J_SET,
	S_T_DEV, S_T_DEV_SET, S_U_DEV, S_U_DEV_SET,
	S_DC_VALID, S_DC_INS, S_DC_GET, S_DC_DER, S_DC_REVOKE, S_DC_REVOKE_USER,
	S_DC_LIST_T, S_DC_LIST_U, S_DC_REVOKED, S_DC_COUNTS_T, S_DC_COUNTS_U,
	S_DC_PERIOD,
	S_TCA_INS, S_TCA_GET, S_CRL_GET, S_CRL_PUT, S_CRL_NUM,
	S_PR_INS, S_PR_MATCH, S_DR_INS, S_DR_GET, S_DR_LIST, S_DR_DECIDE, S_DR_EXISTS,
	S_X_DEVCERTS, S_X_DEVREQ, S_X_PREREG, S_X_CA,
	S_K_PURGE_USE, S_SA_INS, S_SA_GET, S_SA_GET_E, S_SA_LIST, S_SA_ROWID, S_SA_DEL,
	S_SA_UPD, S_SA_UID, S_SAA_INS_U, S_SAA_INS_G, S_SAA_DEL_U, S_SAA_DEL_G, S_SAA_LIST,
	S_SAA_USERS, S_X_SAML,
	S_COUNT
};

#define TENANT_SELECT \
	"SELECT t.id, t.company_id, t.name, t.contracted_ids, t.status, t.created_at," \
	" t.setup_completed_at, (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id" \
	" AND u.kind = 0 AND u.status IN (0, 1)), t.cancelled_at FROM tenants t"
#define USER_SELECT \
	"SELECT id, tenant_id, email, display_name, status, kind, password_hash," \
	" must_change_password, failed_attempts, locked_until, last_sign_in_at," \
	" sessions_not_before, created_at, password_changed_at, device_license FROM users"
#define GROUP_SELECT \
	"SELECT g.id, g.tenant_id, g.name, (SELECT COUNT(*) FROM group_members m" \
	" WHERE m.group_id = g.id) FROM groups g"
#define AUDIT_SELECT \
	"SELECT at, tenant_id, actor, action, target, result, ip, detail FROM audit_log"
#define REPORT_SELECT \
	"SELECT tenant_id, month, from_day, to_day, due, final, generated_at FROM reports"
#define KEY_SELECT \
	"SELECT id, tenant_id, use, alg, kid, sealed, public_jwk, status, created_at," \
	" activated_at, retired_at FROM signing_keys"
#define CLIENT_SELECT \
	"SELECT id, tenant_id, client_id, name, confidential, secret_hash, redirect_uris," \
	" post_logout_uris, scopes, grant_types, id_token_alg, pairwise, initiate_login_uri," \
	" access_token_ttl_s, id_token_ttl_s, refresh_token_ttl_s, resource_server," \
	" created_at, device_required FROM oidc_clients"
#define SAML_SELECT \
	"SELECT id, tenant_id, app_id, name, entity_id, metadata, nameid_format," \
	" nameid_source, attributes, sign_requests, sign_assertion, sign_response," \
	" encrypt_assertion, sp_initiated, idp_initiated, device_required, created_at" \
	" FROM saml_apps"
#define DEVCERT_SELECT \
	"SELECT id, tenant_id, user_id, serial, device_id, device_name, device_type," \
	" device_identifier, enrolled_by, not_before, not_after, status, revoked_at," \
	" revoked_by, created_at FROM device_certs"
#define DEVREQ_SELECT \
	"SELECT id, tenant_id, user_id, device_id, device_name, device_type," \
	" device_identifier, status, created_at, csr_der FROM device_requests"
/*
 * A tenant's or a user's certificates counted at ?3: valid (issued and
 * not_before <= now < not_after, as idg_devcert_valid_at), revoked, expired
 * (issued, not_after <= now) and valid but ending within 30 days.
 */
#define DEVCERT_COUNTS \
	"SELECT COALESCE(SUM(status = 0 AND not_before <= ?3 AND ?3 < not_after), 0)," \
	" COALESCE(SUM(status = 1), 0), COALESCE(SUM(status = 0 AND not_after <= ?3), 0)," \
	" COALESCE(SUM(status = 0 AND not_before <= ?3 AND ?3 < not_after AND" \
	" not_after <= ?3 + 2592000), 0) FROM device_certs WHERE tenant_id = ?1"

static const char *const sql_text[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_MIG_TABLE] = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
	    " AND name = 'schema_migrations'",
	[S_MIG_HAS] = "SELECT 1 FROM schema_migrations WHERE version = ?1",
	[S_MIG_ADD] = "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
	[S_MIG_MAX] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
	[S_GEN] = "SELECT generation FROM store_meta WHERE id = 1",
	[S_T_INS] = "INSERT INTO tenants (company_id, name, contracted_ids, status,"
	    " created_at) VALUES (?1, ?2, ?3, 0, ?4)",
	[S_T_GET] = TENANT_SELECT " WHERE t.company_id = ?1",
	[S_T_LIST] = TENANT_SELECT " ORDER BY t.company_id",
	[S_T_LIST_BRIEF] = "SELECT id, company_id, name, contracted_ids, status, created_at,"
	    " setup_completed_at, 0, cancelled_at FROM tenants ORDER BY company_id",
	/* A cancelled tenant has no pool any more: it reads as not found. */
	[S_T_LIC] = "SELECT contracted_ids, (SELECT COUNT(*) FROM users WHERE"
	    " tenant_id = ?1 AND kind = 0 AND status IN (0, 1)) FROM tenants WHERE id = ?1"
	    " AND status != 2",
	[S_T_SETC] = "UPDATE tenants SET contracted_ids = ?1 WHERE id = ?2",
	[S_T_SETUP] = "UPDATE tenants SET status = 1, setup_completed_at = CASE WHEN"
	    " setup_completed_at = 0 THEN ?1 ELSE setup_completed_at END WHERE id = ?2",
	[S_U_INS] = "INSERT INTO users (tenant_id, email, display_name, status, kind,"
	    " password_hash, must_change_password, created_at, updated_at, password_changed_at)"
	    " VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?7, CASE WHEN ?5 != '' THEN ?7 ELSE 0 END)",
	[S_U_BYEMAIL] = USER_SELECT " WHERE tenant_id = ?1 AND email = ?2",
	[S_U_BYID] = USER_SELECT " WHERE tenant_id = ?1 AND id = ?2",
	[S_U_LIST] = USER_SELECT " WHERE tenant_id = ?1 ORDER BY id",
	[S_U_STATUS] = "UPDATE users SET status = ?1, updated_at = ?2, sessions_not_before ="
	    " CASE WHEN ?3 THEN ?2 ELSE sessions_not_before END WHERE id = ?4",
	[S_U_PW] = "UPDATE users SET password_hash = ?1, must_change_password = ?2,"
	    " failed_attempts = 0, locked_until = 0, updated_at = ?3,"
	    " sessions_not_before = ?3, password_changed_at = ?3 WHERE id = ?4",
	[S_U_UNLOCK] = "UPDATE users SET failed_attempts = 0, locked_until = 0,"
	    " updated_at = ?1 WHERE id = ?2",
	[S_U_SIGNIN_READ] = "SELECT failed_attempts, locked_until FROM users"
	    " WHERE tenant_id = ?1 AND id = ?2",
	[S_U_SIGNIN_OK] = "UPDATE users SET failed_attempts = 0, last_sign_in_at = ?1"
	    " WHERE id = ?2",
	[S_U_SIGNIN_FAIL] = "UPDATE users SET failed_attempts = ?1 WHERE id = ?2",
	[S_U_LOCK] = "UPDATE users SET failed_attempts = 0, locked_until = ?1 WHERE id = ?2",
	[S_U_EXISTS] = "SELECT 1 FROM users WHERE tenant_id = ?1 AND email = ?2",
	[S_U_SUSPEND_KIND] = "UPDATE users SET status = 1, sessions_not_before = ?1,"
	    " updated_at = ?1 WHERE tenant_id = ?2 AND kind = ?3 AND status = 0",
	[S_U_LIVE_ID] = "SELECT id FROM users WHERE tenant_id = ?1 AND email = ?2"
	    " AND status != 2",
	[S_G_INS] = "INSERT INTO groups (tenant_id, name) VALUES (?1, ?2)",
	[S_G_BYNAME] = "SELECT id FROM groups WHERE tenant_id = ?1 AND name = ?2",
	[S_G_LIST] = GROUP_SELECT " WHERE g.tenant_id = ?1 ORDER BY g.name",
	[S_G_OFUSER] = GROUP_SELECT " JOIN group_members gm ON gm.group_id = g.id"
	    " WHERE g.tenant_id = ?1 AND gm.user_id = ?2 ORDER BY g.name",
	[S_GM_INS] = "INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2)",
	/*
	 * Only a person user of the tenant is an active ID: the two service
	 * accounts (kind != 0) sign in too but are never billed, whatever path
	 * marks them (store.h). Nothing inserted, so the count is not touched.
	 */
	[S_MA_INS] = "INSERT OR IGNORE INTO monthly_active (tenant_id, month, user_id,"
	    " first_at) SELECT ?1, ?2, id, ?4 FROM users WHERE id = ?3 AND tenant_id = ?1"
	    " AND kind = 0",
	/* Kept by the triggers of migration 0008. */
	[S_MA_COUNT] = "SELECT COALESCE((SELECT n FROM monthly_active_count WHERE"
	    " tenant_id = ?1 AND month = ?2), 0)",
	[S_A_INS] = "INSERT INTO audit_log (at, tenant_id, actor, action, target, result,"
	    " ip, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_A_LIST_ALL] = AUDIT_SELECT " ORDER BY at DESC, id DESC LIMIT ?1",
	[S_A_LIST_T] = AUDIT_SELECT " WHERE tenant_id = ?2 ORDER BY at DESC, id DESC"
	    " LIMIT ?1",
	[S_K_INS] = "INSERT INTO signing_keys (tenant_id, use, alg, kid, sealed, public_jwk,"
	    " status, created_at, activated_at, retired_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)",
	[S_K_LIST_ALL] = KEY_SELECT " WHERE tenant_id = ?1 ORDER BY id",
	[S_K_LIST_USE] = KEY_SELECT " WHERE tenant_id = ?1 AND use = ?2 ORDER BY id",
	[S_K_NEXT] = "SELECT id FROM signing_keys WHERE tenant_id = ?1 AND use = ?2"
	    " AND alg = ?3 AND status = 0 ORDER BY id LIMIT 1",
	[S_K_RETIRE] = "UPDATE signing_keys SET status = 2, retired_at = ?1"
	    " WHERE tenant_id = ?2 AND use = ?3 AND alg = ?4 AND status = 1",
	[S_K_ACTIVATE] = "UPDATE signing_keys SET status = 1, activated_at = ?1 WHERE id = ?2",
	[S_K_PURGE] = "DELETE FROM signing_keys WHERE tenant_id = ?1 AND status = 2"
	    " AND retired_at < ?2",
	[S_C_INS] = "INSERT INTO oidc_clients (tenant_id, client_id, name, confidential,"
	    " secret_hash, redirect_uris, post_logout_uris, scopes, grant_types, id_token_alg,"
	    " pairwise, initiate_login_uri, access_token_ttl_s, id_token_ttl_s,"
	    " refresh_token_ttl_s, resource_server, created_at, device_required) VALUES (?1, ?2,"
	    " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
	[S_C_GET] = CLIENT_SELECT " WHERE tenant_id = ?1 AND client_id = ?2",
	[S_C_LIST] = CLIENT_SELECT " WHERE tenant_id = ?1 ORDER BY client_id",
	[S_C_ROWID] = "SELECT id FROM oidc_clients WHERE tenant_id = ?1 AND client_id = ?2",
	[S_C_DEL] = "DELETE FROM oidc_clients WHERE tenant_id = ?1 AND client_id = ?2",
	[S_C_SECRET] = "UPDATE oidc_clients SET secret_hash = ?1 WHERE id = ?2",
	[S_CA_INS_U] = "INSERT INTO oidc_client_assignments (client_row_id, user_id)"
	    " VALUES (?1, ?2)",
	[S_CA_INS_G] = "INSERT INTO oidc_client_assignments (client_row_id, group_id)"
	    " VALUES (?1, ?2)",
	[S_CA_LIST] = "SELECT 'user', u.email FROM oidc_client_assignments a"
	    " JOIN users u ON u.id = a.user_id WHERE a.client_row_id = ?1"
	    " UNION ALL SELECT 'group', g.name FROM oidc_client_assignments a"
	    " JOIN groups g ON g.id = a.group_id WHERE a.client_row_id = ?1"
	    " ORDER BY 1 DESC, 2",
	/* UNION (not UNION ALL): a user both assigned and in an assigned group appears once. */
	[S_CA_USERS] = "SELECT c.client_id, x.uid FROM oidc_clients c JOIN ("
	    "SELECT a.client_row_id AS cr, a.user_id AS uid FROM oidc_client_assignments a"
	    " WHERE a.user_id IS NOT NULL"
	    " UNION SELECT a.client_row_id, gm.user_id FROM oidc_client_assignments a"
	    " JOIN group_members gm ON gm.group_id = a.group_id) x ON x.cr = c.id"
	    " JOIN users u ON u.id = x.uid"
	    " WHERE c.tenant_id = ?1 AND u.tenant_id = ?1 AND u.status != 2"
	    " ORDER BY c.client_id, x.uid",
	[S_MFA_GET] = "SELECT m.user_id, m.totp_sealed, m.confirmed, m.last_step, m.updated_at,"
	    " (SELECT COUNT(*) FROM user_recovery_codes r WHERE r.user_id = m.user_id"
	    " AND r.used_at = 0) FROM user_mfa m WHERE m.tenant_id = ?1 AND m.user_id = ?2",
	[S_MFA_STATE] = "SELECT confirmed FROM user_mfa WHERE tenant_id = ?1 AND user_id = ?2",
	[S_MFA_INS] = "INSERT INTO user_mfa (user_id, tenant_id, totp_sealed, confirmed,"
	    " last_step, updated_at) VALUES (?2, ?1, ?3, 0, 0, ?4)",
	[S_MFA_DEL] = "DELETE FROM user_mfa WHERE tenant_id = ?1 AND user_id = ?2",
	[S_MFA_CONFIRM] = "UPDATE user_mfa SET confirmed = 1, last_step = ?3, updated_at = ?4"
	    " WHERE tenant_id = ?1 AND user_id = ?2 AND confirmed = 0",
	/* One statement: two racing sign-ins cannot both move last_step to the same step. */
	[S_MFA_STEP] = "UPDATE user_mfa SET last_step = ?3, updated_at = ?4"
	    " WHERE tenant_id = ?1 AND user_id = ?2 AND last_step < ?3",
	[S_RC_DEL] = "DELETE FROM user_recovery_codes WHERE user_id = ?1",
	[S_RC_INS] = "INSERT INTO user_recovery_codes (user_id, hash, used_at)"
	    " VALUES (?1, ?2, 0)",
	[S_RC_USE] = "UPDATE user_recovery_codes SET used_at = ?4 WHERE user_id = ?2"
	    " AND hash = ?3 AND used_at = 0 AND EXISTS (SELECT 1 FROM user_mfa m"
	    " WHERE m.user_id = ?2 AND m.tenant_id = ?1 AND m.confirmed = 1)",
	[S_P_GET] = "SELECT policy_text, mfa_required FROM tenant_policy WHERE tenant_id = ?1",
	[S_P_SET] = "INSERT INTO tenant_policy (tenant_id, policy_text, mfa_required,"
	    " updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id) DO UPDATE SET"
	    " policy_text = CASE WHEN ?5 THEN excluded.policy_text ELSE policy_text END,"
	    " mfa_required = CASE WHEN ?6 THEN excluded.mfa_required ELSE mfa_required END,"
	    " updated_at = excluded.updated_at",
	[S_SEC_GET] = "SELECT password_min_length, password_expiry_days, suspend_unused_days,"
	    " session_idle_s, session_lifetime_s FROM tenant_security WHERE tenant_id = ?1",
	[S_SEC_SET] = "INSERT INTO tenant_security (tenant_id, password_min_length,"
	    " password_expiry_days, suspend_unused_days, session_idle_s, session_lifetime_s,"
	    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (tenant_id) DO UPDATE"
	    " SET password_min_length = excluded.password_min_length,"
	    " password_expiry_days = excluded.password_expiry_days,"
	    " suspend_unused_days = excluded.suspend_unused_days,"
	    " session_idle_s = excluded.session_idle_s,"
	    " session_lifetime_s = excluded.session_lifetime_s,"
	    " updated_at = excluded.updated_at",
	/* Last activity: the last sign-in, or the creation for a user who never signed in. */
	[S_U_SUSPEND_UNUSED] = "UPDATE users SET status = 1, sessions_not_before = ?3,"
	    " updated_at = ?3 WHERE tenant_id = ?1 AND kind = 0 AND status = 0"
	    " AND (CASE WHEN last_sign_in_at > 0 THEN last_sign_in_at ELSE created_at END) < ?2",
	/*
	 * The day's license row after a change of the pool (?1 tenant, ?2 day).
	 * The first row of a day starts its peak at the figure carried in from
	 * the previous row: the pool held that many just before the change.
	 */
	/*
	 * The device figures (migration 0009) are those at the change: the
	 * licensed count and the license holders who have the option.
	 */
	[S_LD_TOUCH] = "INSERT INTO license_daily (tenant_id, day, contracted_ids, in_use_peak,"
	    " in_use_end, device_licensed, device_users) SELECT t.id, ?2, t.contracted_ids,"
	    " MAX(c.n, COALESCE((SELECT p.in_use_end FROM license_daily p WHERE"
	    " p.tenant_id = t.id AND p.day < ?2 ORDER BY p.day DESC LIMIT 1), 0)), c.n,"
	    " t.device_licensed, c.dn FROM tenants t, (SELECT COUNT(*) AS n,"
	    " COALESCE(SUM(device_license), 0) AS dn FROM users WHERE tenant_id = ?1"
	    " AND kind = 0 AND status IN (0, 1)) c"
	    " WHERE t.id = ?1 ON CONFLICT (tenant_id, day) DO UPDATE SET"
	    " contracted_ids = excluded.contracted_ids,"
	    " in_use_peak = MAX(in_use_peak, excluded.in_use_end),"
	    " in_use_end = excluded.in_use_end,"
	    " device_licensed = excluded.device_licensed,"
	    " device_users = excluded.device_users",
	[S_LD_LIVE] = "SELECT id FROM tenants WHERE status != 2 ORDER BY id",
	[S_LD_DAYS] = "SELECT day, contracted_ids, in_use_peak, in_use_end, device_licensed,"
	    " device_users FROM (SELECT * FROM (SELECT * FROM license_daily WHERE"
	    " tenant_id = ?1 AND day < ?2 ORDER BY day DESC LIMIT 1) UNION ALL"
	    " SELECT * FROM license_daily WHERE tenant_id = ?1 AND day >= ?2 AND day <= ?3)"
	    " ORDER BY day",
	[S_MA_DAYS] = "SELECT strftime('%Y-%m-%d', first_at + 32400, 'unixepoch'), COUNT(*)"
	    " FROM monthly_active WHERE tenant_id = ?1 AND month = ?2 GROUP BY 1 ORDER BY 1",
	[S_A_COUNTS] = "SELECT strftime('%Y-%m-%d', at + 32400, 'unixepoch'), action, result,"
	    " CASE WHEN action LIKE 'sso.%' THEN target END, COUNT(*) FROM audit_log"
	    " WHERE tenant_id = ?1 AND at >= ?2 AND at < ?3 GROUP BY 1, 2, 3, 4"
	    " ORDER BY 1, 2, 3, 4",
	/* In slices, so a year of logs does not hold the write lock for long. */
	[S_A_PURGE] = "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log"
	    " WHERE at < ?1 LIMIT 5000)",
	[S_T_APPS] = "SELECT 'oidc', client_id FROM oidc_clients WHERE tenant_id = ?1"
	    " UNION ALL SELECT 'saml', app_id FROM saml_apps WHERE tenant_id = ?1"
	    " ORDER BY 1, 2",
	[S_X_USERS] = "DELETE FROM users WHERE tenant_id = ?1",
	[S_X_GROUPS] = "DELETE FROM groups WHERE tenant_id = ?1",
	[S_X_CLIENTS] = "DELETE FROM oidc_clients WHERE tenant_id = ?1",
	[S_X_KEYS] = "DELETE FROM signing_keys WHERE tenant_id = ?1",
	[S_X_POLICY] = "DELETE FROM tenant_policy WHERE tenant_id = ?1",
	[S_X_SEC] = "DELETE FROM tenant_security WHERE tenant_id = ?1",
	[S_T_CANCEL] = "UPDATE tenants SET status = 2, cancelled_at = ?1 WHERE id = ?2",
	[S_R_INS] = "INSERT INTO reports (tenant_id, month, from_day, to_day, due, final,"
	    " generated_at, html, csv, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_R_GET] = "SELECT tenant_id, month, from_day, to_day, due, final, generated_at,"
	    " CASE ?3 WHEN 'html' THEN html WHEN 'csv' THEN csv ELSE json END FROM reports"
	    " WHERE tenant_id = ?1 AND month = ?2",
	[S_R_LIST_ALL] = REPORT_SELECT " ORDER BY tenant_id, month",
	[S_R_LIST_T] = REPORT_SELECT " WHERE tenant_id = ?1 ORDER BY month",
	[S_J_GET] = "SELECT last_day FROM jobs WHERE name = ?1",
	[S_J_SET] = "INSERT INTO jobs (name, last_day) VALUES (?1, ?2) ON CONFLICT (name)"
	    " DO UPDATE SET last_day = MAX(last_day, excluded.last_day)",
	/* Holders of the option: license holders (a deleted user's flag is cleared). */
	[S_T_DEV] = "SELECT t.device_licensed, (SELECT COUNT(*) FROM users u WHERE"
	    " u.tenant_id = t.id AND u.kind = 0 AND u.status IN (0, 1) AND"
	    " u.device_license = 1), t.device_required, t.device_exempt_admins,"
	    " t.device_approval, t.status FROM tenants t WHERE t.id = ?1",
	[S_T_DEV_SET] = "UPDATE tenants SET device_licensed = ?1, device_required = ?2,"
	    " device_exempt_admins = ?3, device_approval = ?4 WHERE id = ?5",
	[S_U_DEV] = "SELECT kind, status, device_license FROM users WHERE tenant_id = ?1"
	    " AND id = ?2",
	[S_U_DEV_SET] = "UPDATE users SET device_license = ?1, updated_at = ?2 WHERE id = ?3",
	[S_DC_VALID] = "SELECT COUNT(*) FROM device_certs WHERE tenant_id = ?1 AND"
	    " user_id = ?2 AND status = 0 AND not_before <= ?3 AND ?3 < not_after",
	[S_DC_INS] = "INSERT INTO device_certs (tenant_id, user_id, serial, device_id,"
	    " device_name, device_type, device_identifier, enrolled_by, not_before, not_after,"
	    " status, revoked_at, revoked_by, cert_der, created_at) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6, ?7, ?8, ?9, ?10, 0, 0, '', ?11, ?12)",
	[S_DC_GET] = DEVCERT_SELECT " WHERE tenant_id = ?1 AND serial = ?2",
	[S_DC_DER] = "SELECT cert_der FROM device_certs WHERE tenant_id = ?1 AND serial = ?2",
	[S_DC_REVOKE] = "UPDATE device_certs SET status = 1, revoked_at = ?1, revoked_by = ?2"
	    " WHERE id = ?3 AND status = 0",
	[S_DC_REVOKE_USER] = "UPDATE device_certs SET status = 1, revoked_at = ?3,"
	    " revoked_by = ?4 WHERE tenant_id = ?1 AND user_id = ?2 AND status = 0",
	[S_DC_LIST_T] = DEVCERT_SELECT " WHERE tenant_id = ?1 ORDER BY created_at DESC, id DESC",
	[S_DC_LIST_U] = DEVCERT_SELECT " WHERE tenant_id = ?1 AND user_id = ?2"
	    " ORDER BY created_at DESC, id DESC",
	[S_DC_REVOKED] = DEVCERT_SELECT " WHERE tenant_id = ?1 AND status = 1"
	    " ORDER BY revoked_at, id",
	[S_DC_COUNTS_T] = DEVCERT_COUNTS,
	[S_DC_COUNTS_U] = DEVCERT_COUNTS " AND user_id = ?2",
	/* Issued and revoked in [?2, ?3), valid at ?3 (revocations from ?3 on are later). */
	[S_DC_PERIOD] = "SELECT COALESCE(SUM(created_at >= ?2 AND created_at < ?3), 0),"
	    " COALESCE(SUM(status = 1 AND revoked_at >= ?2 AND revoked_at < ?3), 0),"
	    " COALESCE(SUM(created_at < ?3 AND not_before <= ?3 AND ?3 < not_after AND"
	    " (status = 0 OR revoked_at >= ?3)), 0) FROM device_certs WHERE tenant_id = ?1",
	[S_TCA_INS] = "INSERT INTO tenant_ca (tenant_id, alg, key_sealed, cert_der, crl_der,"
	    " crl_number, crl_next_update, created_at) VALUES (?1, ?2, ?3, ?4, NULL, 0, 0, ?5)",
	[S_TCA_GET] = "SELECT tenant_id, alg, key_sealed, cert_der, crl_number,"
	    " crl_next_update, created_at FROM tenant_ca WHERE tenant_id = ?1",
	[S_CRL_GET] = "SELECT crl_der, crl_number, crl_next_update FROM tenant_ca"
	    " WHERE tenant_id = ?1 AND crl_der IS NOT NULL",
	/* One conditional statement: of two racing writers the higher number wins. */
	[S_CRL_PUT] = "UPDATE tenant_ca SET crl_der = ?2, crl_number = ?3, crl_next_update = ?4"
	    " WHERE tenant_id = ?1 AND crl_number < ?3",
	[S_CRL_NUM] = "SELECT crl_number FROM tenant_ca WHERE tenant_id = ?1",
	[S_PR_INS] = "INSERT INTO device_prereg (tenant_id, email, device_type,"
	    " device_identifier) VALUES (?1, ?2, ?3, ?4)",
	[S_PR_MATCH] = "SELECT 1 FROM device_prereg WHERE tenant_id = ?1 AND"
	    " device_identifier = ?2 AND email = ?3",
	[S_DR_INS] = "INSERT INTO device_requests (tenant_id, user_id, device_id, device_name,"
	    " device_type, device_identifier, csr_der, status, created_at) VALUES (?1, ?2, ?3,"
	    " ?4, ?5, ?6, ?7, 0, ?8)",
	[S_DR_GET] = DEVREQ_SELECT " WHERE tenant_id = ?1 AND id = ?2",
	[S_DR_LIST] = DEVREQ_SELECT " WHERE tenant_id = ?1 AND status = 0 ORDER BY created_at, id",
	/* One conditional statement: a request is decided once, even between processes. */
	[S_DR_DECIDE] = "UPDATE device_requests SET status = ?3, serial = ?4, decided_by = ?5,"
	    " decided_at = ?6 WHERE tenant_id = ?1 AND id = ?2 AND status = 0",
	[S_DR_EXISTS] = "SELECT 1 FROM device_requests WHERE tenant_id = ?1 AND id = ?2",
	[S_X_DEVCERTS] = "DELETE FROM device_certs WHERE tenant_id = ?1",
	[S_X_DEVREQ] = "DELETE FROM device_requests WHERE tenant_id = ?1",
	[S_X_PREREG] = "DELETE FROM device_prereg WHERE tenant_id = ?1",
	[S_X_CA] = "DELETE FROM tenant_ca WHERE tenant_id = ?1",
	[S_K_PURGE_USE] = "DELETE FROM signing_keys WHERE tenant_id = ?1 AND status = 2"
	    " AND retired_at < ?2 AND use = ?3",
	[S_SA_INS] = "INSERT INTO saml_apps (tenant_id, app_id, name, entity_id, metadata,"
	    " nameid_format, nameid_source, attributes, sign_requests, sign_assertion,"
	    " sign_response, encrypt_assertion, sp_initiated, idp_initiated, device_required,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	    " ?15, ?16)",
	[S_SA_GET] = SAML_SELECT " WHERE tenant_id = ?1 AND app_id = ?2",
	[S_SA_GET_E] = SAML_SELECT " WHERE tenant_id = ?1 AND entity_id = ?2",
	[S_SA_LIST] = SAML_SELECT " WHERE tenant_id = ?1 ORDER BY app_id",
	[S_SA_ROWID] = "SELECT id FROM saml_apps WHERE tenant_id = ?1 AND app_id = ?2",
	[S_SA_DEL] = "DELETE FROM saml_apps WHERE tenant_id = ?1 AND app_id = ?2",
	[S_SA_UPD] = "UPDATE saml_apps SET name = ?3, entity_id = ?4, metadata = ?5,"
	    " nameid_format = ?6, nameid_source = ?7, attributes = ?8, sign_requests = ?9,"
	    " sign_assertion = ?10, sign_response = ?11, encrypt_assertion = ?12,"
	    " sp_initiated = ?13, idp_initiated = ?14, device_required = ?15"
	    " WHERE tenant_id = ?1 AND app_id = ?2",
	/* Any status: a deleted user's assignment can still be removed. */
	[S_SA_UID] = "SELECT id FROM users WHERE tenant_id = ?1 AND email = ?2",
	[S_SAA_INS_U] = "INSERT INTO saml_app_assignments (app_row_id, user_id)"
	    " VALUES (?1, ?2)",
	[S_SAA_INS_G] = "INSERT INTO saml_app_assignments (app_row_id, group_id)"
	    " VALUES (?1, ?2)",
	[S_SAA_DEL_U] = "DELETE FROM saml_app_assignments WHERE app_row_id = ?1"
	    " AND user_id = ?2",
	[S_SAA_DEL_G] = "DELETE FROM saml_app_assignments WHERE app_row_id = ?1"
	    " AND group_id = ?2",
	[S_SAA_LIST] = "SELECT 'user', u.email FROM saml_app_assignments a"
	    " JOIN users u ON u.id = a.user_id WHERE a.app_row_id = ?1"
	    " UNION ALL SELECT 'group', g.name FROM saml_app_assignments a"
	    " JOIN groups g ON g.id = a.group_id WHERE a.app_row_id = ?1"
	    " ORDER BY 1 DESC, 2",
	/* UNION (not UNION ALL): a user both assigned and in an assigned group appears once. */
	[S_SAA_USERS] = "SELECT p.app_id, x.uid FROM saml_apps p JOIN ("
	    "SELECT a.app_row_id AS ar, a.user_id AS uid FROM saml_app_assignments a"
	    " WHERE a.user_id IS NOT NULL"
	    " UNION SELECT a.app_row_id, gm.user_id FROM saml_app_assignments a"
	    " JOIN group_members gm ON gm.group_id = a.group_id) x ON x.ar = p.id"
	    " JOIN users u ON u.id = x.uid"
	    " WHERE p.tenant_id = ?1 AND u.tenant_id = ?1 AND u.status != 2"
	    " ORDER BY p.app_id, x.uid",
	[S_X_SAML] = "DELETE FROM saml_apps WHERE tenant_id = ?1",
};

struct sq {
	struct idg_store	 base;		/* first: the dispatch head */
	sqlite3			*db;
	char			 path[512];
	sqlite3_stmt		*stmt[S_COUNT];
};

#define SQ(s) ((struct sq *)(void *)(s))

/* Maps an SQLite result code to a status code. */
static int
map_rc(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return IDG_EXISTS;
	}
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return IDG_OK;
	case SQLITE_CONSTRAINT:
		return IDG_INVALID;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return IDG_TIMEOUT;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_PERM:
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_AUTH:
		return IDG_UNAVAILABLE;
	}
	return IDG_ERR;
}

/* Logs a failure once, where it is detected (not for expected outcomes). */
static int
fail(struct sq *q, const char *func, int rc)
{
	int st = map_rc(rc);

	if (st != IDG_EXISTS)
		idg_log_msg(IDG_LOG_ERROR, func, "store %s: %s (%d)", q->path,
		    sqlite3_errmsg(q->db), rc);
	return st;
}

/* The cached statement id, reset and unbound; NULL if it cannot be prepared (logged). */
static sqlite3_stmt *
get(struct sq *q, enum sid id)
{
	int rc;

	if (q->stmt[id] == NULL) {
		rc = sqlite3_prepare_v3(q->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
		    &q->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			log_error("store %s: cannot prepare statement %d: %s", q->path, (int)id,
			    sqlite3_errmsg(q->db));
			q->stmt[id] = NULL;
			return NULL;
		}
	}
	sqlite3_reset(q->stmt[id]);
	sqlite3_clear_bindings(q->stmt[id]);
	return q->stmt[id];
}

/* Ends a use of a cached statement so it holds no read lock. */
static void
done(sqlite3_stmt *st)
{
	if (st != NULL)
		sqlite3_reset(st);
}

/* Steps a statement that returns no row; resets it. */
static int
run(struct sq *q, sqlite3_stmt *st, const char *func)
{
	int rc = sqlite3_step(st);

	done(st);
	if (rc != SQLITE_DONE)
		return fail(q, func, rc);
	return IDG_OK;
}

/* Simple statement by id, no parameters. */
static int
run_id(struct sq *q, enum sid id, const char *func)
{
	sqlite3_stmt *st = get(q, id);

	if (st == NULL)
		return IDG_ERR;
	return run(q, st, func);
}

static int
tx_begin(struct sq *q, const char *func)
{
	return run_id(q, S_BEGIN, func);
}

static int
tx_commit(struct sq *q, const char *func)
{
	return run_id(q, S_COMMIT, func);
}

static void
tx_rollback(struct sq *q)
{
	sqlite3_stmt *st;

	if (sqlite3_get_autocommit(q->db))
		return;
	if ((st = get(q, S_ROLLBACK)) != NULL) {
		(void)sqlite3_step(st);
		done(st);
	}
}

/* Ends a transaction: commit on IDG_OK, roll back otherwise. Returns the final status. */
static int
tx_end(struct sq *q, int status, const char *func)
{
	if (status == IDG_OK)
		status = tx_commit(q, func);
	if (status != IDG_OK)
		tx_rollback(q);
	return status;
}

static void
col_text(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	idg_strlcpy(dst, t != NULL ? (const char *)t : "", n);
}

static void
read_tenant(sqlite3_stmt *st, struct idg_tenant *t)
{
	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, t->company_id, sizeof(t->company_id));
	col_text(st, 2, t->name, sizeof(t->name));
	t->contracted_ids = sqlite3_column_int(st, 3);
	t->status = sqlite3_column_int(st, 4);
	t->created_at = sqlite3_column_int64(st, 5);
	t->setup_completed_at = sqlite3_column_int64(st, 6);
	t->licenses_in_use = sqlite3_column_int(st, 7);
	t->cancelled_at = sqlite3_column_int64(st, 8);
}

static void
read_user(sqlite3_stmt *st, struct idg_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	u->tenant_id = sqlite3_column_int64(st, 1);
	col_text(st, 2, u->email, sizeof(u->email));
	col_text(st, 3, u->display_name, sizeof(u->display_name));
	u->status = sqlite3_column_int(st, 4);
	u->kind = sqlite3_column_int(st, 5);
	col_text(st, 6, u->password_hash, sizeof(u->password_hash));
	u->must_change_password = sqlite3_column_int(st, 7) != 0;
	u->failed_attempts = sqlite3_column_int(st, 8);
	u->locked_until = sqlite3_column_int64(st, 9);
	u->last_sign_in_at = sqlite3_column_int64(st, 10);
	u->sessions_not_before = sqlite3_column_int64(st, 11);
	u->created_at = sqlite3_column_int64(st, 12);
	u->password_changed_at = sqlite3_column_int64(st, 13);
	u->device_license = sqlite3_column_int(st, 14) != 0;
}

static void
read_group(sqlite3_stmt *st, struct idg_group *g)
{
	memset(g, 0, sizeof(*g));
	g->id = sqlite3_column_int64(st, 0);
	g->tenant_id = sqlite3_column_int64(st, 1);
	col_text(st, 2, g->name, sizeof(g->name));
	g->members = sqlite3_column_int(st, 3);
}

/* Lower-cased copy of a syntactically valid e-mail; IDG_INVALID otherwise. */
static int
norm_email(const char *in, char out[255])
{
	if (strlen(in) >= 255 || !idg_email_valid(in))
		return IDG_INVALID;
	idg_strlcpy(out, in, 255);
	idg_str_lower(out);
	return IDG_OK;
}

/*
 * Reads the contract and current license use of a tenant (call inside the
 * write transaction). IDG_NOTFOUND if there is no such tenant.
 */
static int
license_numbers(struct sq *q, int64_t tenant_id, struct idg_license_numbers *n)
{
	sqlite3_stmt *st = get(q, S_T_LIC);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n->contracted = sqlite3_column_int(st, 0);
		n->in_use = sqlite3_column_int(st, 1);
		done(st);
		return IDG_OK;
	}
	done(st);
	if (rc == SQLITE_DONE)
		return IDG_NOTFOUND;
	return fail(q, __func__, rc);
}

/*
 * Updates the tenant's license row of the JST day of now (call inside the
 * write transaction that changed the pool or the contract).
 */
static int
license_touch(struct sq *q, int64_t tenant_id, int64_t now)
{
	sqlite3_stmt *st = get(q, S_LD_TOUCH);
	char day[11];

	if (st == NULL)
		return IDG_ERR;
	idg_jst_day(now, day);
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_TRANSIENT);
	return run(q, st, __func__);
}

/* Instance life cycle. */

static void
sq_free(struct idg_store *s)
{
	struct sq *q = SQ(s);
	int i;

	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_close_v2(q->db);
	free(q);
}

static int
sq_open(const struct idg_store_config *cfg, struct idg_store **out)
{
	const unsigned char *mode;
	sqlite3_stmt *st = NULL;
	struct sq *q;
	int rc;

	if (cfg->sqlite_path == NULL || cfg->sqlite_path[0] == '\0') {
		log_error("no sqlite_path configured");
		return IDG_UNAVAILABLE;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return IDG_ERR;
	q->base.ops = &idg_store_sqlite_ops;
	idg_strlcpy(q->path, cfg->sqlite_path, sizeof(q->path));
	rc = sqlite3_open_v2(q->path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open store %s: %s (does the folder exist and is it"
		    " writable?)", q->path, q->db != NULL ? sqlite3_errmsg(q->db) :
		    sqlite3_errstr(rc));
		goto unavailable;
	}
	sqlite3_extended_result_codes(q->db, 1);
	/* SQLite falls back to read-only silently when the file is not writable. */
	if (sqlite3_db_readonly(q->db, "main") != 0) {
		log_error("cannot open store %s: the file is not writable", q->path);
		goto unavailable;
	}
	sqlite3_busy_timeout(q->db, cfg->busy_timeout_ms > 0 ? cfg->busy_timeout_ms : 5000);
	if ((rc = sqlite3_exec(q->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		log_error("cannot open store %s: %s", q->path, sqlite3_errmsg(q->db));
		goto unavailable;
	}
	/* WAL needs the -wal and -shm files beside the database: the folder must be writable. */
	rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		log_error("cannot open store %s: cannot use WAL mode: %s (are the file and"
		    " its folder writable?)", q->path, rc == SQLITE_ROW ? "refused" :
		    sqlite3_errmsg(q->db));
		sqlite3_finalize(st);
		goto unavailable;
	}
	sqlite3_finalize(st);
	(void)sqlite3_exec(q->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	*out = &q->base;
	return IDG_OK;
unavailable:
	sq_free(&q->base);
	return IDG_UNAVAILABLE;
}

/* Schema. */

static int
mig_table_exists(struct sq *q, bool *exists)
{
	sqlite3_stmt *st = get(q, S_MIG_TABLE);
	int rc;

	if (st == NULL)
		return IDG_UNAVAILABLE;
	rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	done(st);
	if (rc != SQLITE_ROW)
		return fail(q, __func__, rc);
	return IDG_OK;
}

static int
apply_one(struct sq *q, const struct idg_migration *m, bool *ran)
{
	sqlite3_stmt *st;
	char *err = NULL;
	int rc, status;

	*ran = false;
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	/* Checked inside the write lock: a concurrent migrator may have applied it. */
	if ((st = get(q, S_MIG_HAS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int(st, 1, m->version);
	rc = sqlite3_step(st);
	done(st);
	if (rc == SQLITE_ROW)
		goto out;	/* already applied */
	if (rc != SQLITE_DONE) {
		status = fail(q, __func__, rc);
		goto out;
	}
	rc = sqlite3_exec(q->db, m->sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_error("store %s: migration %s failed: %s", q->path, m->name,
		    err != NULL ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		status = map_rc(sqlite3_extended_errcode(q->db));
		if (status != IDG_UNAVAILABLE)
			status = IDG_ERR;
		goto out;
	}
	if ((st = get(q, S_MIG_ADD)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_int64(st, 2, idg_now());
	status = run(q, st, __func__);
	if (status == IDG_OK)
		*ran = true;
out:
	status = tx_end(q, status, __func__);
	if (status != IDG_OK)
		*ran = false;
	return status;
}

static int
sq_migrate(struct idg_store *s, const struct idg_migration *m, int n, int *applied)
{
	struct sq *q = SQ(s);
	char *err = NULL;
	int i, rc, status;
	bool ran;

	if (applied != NULL)
		*applied = 0;
	rc = sqlite3_exec(q->db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)", NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		status = map_rc(sqlite3_extended_errcode(q->db));
		log_error("store %s: cannot record migrations: %s", q->path,
		    err != NULL ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return status == IDG_TIMEOUT ? status : IDG_UNAVAILABLE;
	}
	for (i = 0; i < n; i++) {
		if ((status = apply_one(q, &m[i], &ran)) != IDG_OK)
			return status;
		if (ran) {
			log_info("store %s: applied migration %s", q->path, m[i].name);
			if (applied != NULL)
				(*applied)++;
		}
	}
	return IDG_OK;
}

static int
sq_schema_version(struct idg_store *s, int *current)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	bool exists;
	int rc, status;

	*current = 0;
	if ((status = mig_table_exists(q, &exists)) != IDG_OK || !exists)
		return status;
	if ((st = get(q, S_MIG_MAX)) == NULL)
		return IDG_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*current = sqlite3_column_int(st, 0);
	done(st);
	return rc == SQLITE_ROW ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_generation(struct idg_store *s, int64_t *gen)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_GEN);
	int rc;

	*gen = 0;
	if (st == NULL)
		return IDG_UNAVAILABLE;	/* not migrated: no store to read */
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*gen = sqlite3_column_int64(st, 0);
	done(st);
	return rc == SQLITE_ROW ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_ping(struct idg_store *s)
{
	int64_t gen;

	return sq_generation(s, &gen);
}

/* Tenants. */

static int
insert_user(struct sq *q, int64_t tenant_id, const char *email, const char *name,
    int kind, const char *hash, bool must_change, int64_t now, int64_t *id,
    const char *func)
{
	sqlite3_stmt *st = get(q, S_U_INS);
	int status;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, kind);
	sqlite3_bind_text(st, 5, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, must_change ? 1 : 0);
	sqlite3_bind_int64(st, 7, now);
	status = run(q, st, func);
	if (status == IDG_OK && id != NULL)
		*id = sqlite3_last_insert_rowid(q->db);
	return status;
}

static int
tenant_get(struct sq *q, const char *company_id, struct idg_tenant *out)
{
	sqlite3_stmt *st = get(q, S_T_GET);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_text(st, 1, company_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out != NULL)
		read_tenant(st, out);
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
}

static int
sq_tenant_create(struct idg_store *s, const char *company_id, const char *name,
    int contracted_ids, const char *setup_pw_hash, const char *report_pw_hash,
    struct idg_tenant *out)
{
	struct idg_license_numbers n = { 0, 0, contracted_ids };
	struct sq *q = SQ(s);
	char email[255];
	sqlite3_stmt *st;
	int64_t now = idg_now(), tid;
	int status;

	if (!idg_company_id_valid(company_id) || name[0] == '\0' || strlen(name) > 128 ||
	    !idg_utf8_text_valid(name) ||
	    idg_license_check_contract(&n, NULL) != IDG_OK ||
	    strlen(setup_pw_hash) >= 192 || strlen(report_pw_hash) >= 192)
		return IDG_INVALID;
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((st = get(q, S_T_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_text(st, 1, company_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, contracted_ids);
	sqlite3_bind_int64(st, 4, now);
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	tid = sqlite3_last_insert_rowid(q->db);
	/* Service rules: two provider service accounts, never counted. */
	snprintf(email, sizeof(email), "setup@%s.idgate.invalid", company_id);
	if ((status = insert_user(q, tid, email, "set-up service account",
	    IDG_USER_SERVICE_SETUP, setup_pw_hash, false, now, NULL, __func__)) != IDG_OK)
		goto out;
	snprintf(email, sizeof(email), "report@%s.idgate.invalid", company_id);
	if ((status = insert_user(q, tid, email, "report service account",
	    IDG_USER_SERVICE_REPORT, report_pw_hash, false, now, NULL, __func__)) != IDG_OK)
		goto out;
	if ((status = license_touch(q, tid, now)) != IDG_OK)
		goto out;
	if (out != NULL)
		status = tenant_get(q, company_id, out);
out:
	return tx_end(q, status, __func__);
}

static int
sq_tenant_get(struct idg_store *s, const char *company_id, struct idg_tenant *out)
{
	return tenant_get(SQ(s), company_id, out);
}

static int
tenant_list(struct sq *q, enum sid id, idg_tenant_each_fn *fn, void *arg)
{
	sqlite3_stmt *st = get(q, id);
	struct idg_tenant t;
	int rc;

	if (st == NULL)
		return IDG_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_tenant(st, &t);
		if (fn(arg, &t) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_tenant_list(struct idg_store *s, idg_tenant_each_fn *fn, void *arg)
{
	return tenant_list(SQ(s), S_T_LIST, fn, arg);
}

static int
sq_tenant_list_brief(struct idg_store *s, idg_tenant_each_fn *fn, void *arg)
{
	return tenant_list(SQ(s), S_T_LIST_BRIEF, fn, arg);
}

static int
sq_tenant_set_contract(struct idg_store *s, const char *company_id, int n,
    struct idg_license_numbers *lic)
{
	struct idg_license_numbers num;
	struct idg_tenant t;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = tenant_get(q, company_id, &t)) != IDG_OK)
		goto out;
	if (t.status == IDG_TENANT_CANCELLED) {
		status = IDG_NOTFOUND;
		goto out;
	}
	num.contracted = t.contracted_ids;
	num.in_use = t.licenses_in_use;
	num.requested = n;
	if (lic != NULL)
		*lic = num;
	if ((status = idg_license_check_contract(&num, NULL)) != IDG_OK)
		goto out;
	if ((st = get(q, S_T_SETC)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int(st, 1, n);
	sqlite3_bind_int64(st, 2, t.id);
	if ((status = run(q, st, __func__)) == IDG_OK)
		status = license_touch(q, t.id, idg_now());
out:
	return tx_end(q, status, __func__);
}

static int
sq_tenant_complete_setup(struct idg_store *s, const char *company_id)
{
	struct idg_tenant t;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t now = idg_now();
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = tenant_get(q, company_id, &t)) != IDG_OK)
		goto out;
	if (t.status == IDG_TENANT_CANCELLED) {
		status = IDG_DECLINED;
		goto out;
	}
	if ((st = get(q, S_T_SETUP)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, t.id);
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	/* Service rules: the set-up account is disabled once set-up completes. */
	if ((st = get(q, S_U_SUSPEND_KIND)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, t.id);
	sqlite3_bind_int(st, 3, IDG_USER_SERVICE_SETUP);
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

/* Users. */

static int
user_query(struct sq *q, enum sid id, int64_t tenant_id, const char *email,
    int64_t user_id, struct idg_user *out, const char *func)
{
	sqlite3_stmt *st = get(q, id);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	if (email != NULL)
		sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, user_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out != NULL)
		read_user(st, out);
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, func, rc);
}

static int
sq_user_add(struct idg_store *s, int64_t tenant_id, const char *email,
    const char *display_name, const char *password_hash, bool must_change_password,
    struct idg_license_numbers *lic, struct idg_user *out)
{
	struct idg_license_numbers n = { 0, 0, 1 };
	struct sq *q = SQ(s);
	char em[255];
	int64_t id;
	int status;

	if (norm_email(email, em) != IDG_OK || strlen(display_name) > 128 ||
	    strlen(password_hash) >= 192)
		return IDG_INVALID;
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = license_numbers(q, tenant_id, &n)) != IDG_OK)
		goto out;
	/* A taken e-mail is reported as such even when the pool is also full. */
	if ((status = user_query(q, S_U_BYEMAIL, tenant_id, em, 0, NULL, __func__)) !=
	    IDG_NOTFOUND) {
		if (status == IDG_OK)
			status = IDG_EXISTS;
		goto out;
	}
	n.requested = 1;
	if (lic != NULL)
		*lic = n;
	if ((status = idg_license_check_take(&n)) != IDG_OK)
		goto out;
	if ((status = insert_user(q, tenant_id, em, display_name, IDG_USER_PERSON,
	    password_hash, must_change_password, idg_now(), &id, __func__)) !=
	    IDG_OK || (status = license_touch(q, tenant_id, idg_now())) != IDG_OK)
		goto out;
	if (out != NULL)
		status = user_query(q, S_U_BYID, tenant_id, NULL, id, out, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_user_get_by_email(struct idg_store *s, int64_t tenant_id, const char *email,
    struct idg_user *out)
{
	char em[255];

	if (norm_email(email, em) != IDG_OK)
		return IDG_NOTFOUND;	/* no stored address is malformed */
	return user_query(SQ(s), S_U_BYEMAIL, tenant_id, em, 0, out, __func__);
}

static int
sq_user_get(struct idg_store *s, int64_t tenant_id, int64_t user_id, struct idg_user *out)
{
	return user_query(SQ(s), S_U_BYID, tenant_id, NULL, user_id, out, __func__);
}

static int
sq_user_list(struct idg_store *s, int64_t tenant_id, idg_user_each_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_U_LIST);
	struct idg_user u;
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_user(st, &u);
		if (fn(arg, &u) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static bool
holds_license(int kind, int status)
{
	return kind == IDG_USER_PERSON &&
	    (status == IDG_USER_ACTIVE || status == IDG_USER_SUSPENDED);
}

/*
 * Revokes every certificate of the user not yet revoked (inside the caller's
 * transaction); *n gets how many.
 */
static int
devcerts_revoke_all(struct sq *q, int64_t tenant_id, int64_t user_id, const char *by,
    int64_t now, int *n, const char *func)
{
	sqlite3_stmt *st = get(q, S_DC_REVOKE_USER);
	int status;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
	if ((status = run(q, st, func)) == IDG_OK && n != NULL)
		*n = sqlite3_changes(q->db);
	return status;
}

/* Sets users.device_license of one user (inside the caller's transaction). */
static int
user_device_set(struct sq *q, int64_t user_id, bool on, int64_t now, const char *func)
{
	sqlite3_stmt *st = get(q, S_U_DEV_SET);

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int(st, 1, on ? 1 : 0);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, user_id);
	return run(q, st, func);
}

static int
sq_user_set_status(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    enum idg_user_status to, struct idg_license_numbers *lic)
{
	struct idg_license_numbers n = { 0, 0, 1 };
	struct sq *q = SQ(s);
	struct idg_user u;
	sqlite3_stmt *st;
	int64_t now = idg_now();
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = user_query(q, S_U_BYID, tenant_id, NULL, user_id, &u, __func__)) !=
	    IDG_OK)
		goto out;
	/* Reactivating a deleted person takes a license: the pool rule applies. */
	if (!holds_license(u.kind, u.status) && holds_license(u.kind, (int)to)) {
		if ((status = license_numbers(q, tenant_id, &n)) != IDG_OK)
			goto out;
		n.requested = 1;
		if (lic != NULL)
			*lic = n;
		if ((status = idg_license_check_take(&n)) != IDG_OK)
			goto out;
	}
	if ((st = get(q, S_U_STATUS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int(st, 1, (int)to);
	sqlite3_bind_int64(st, 2, now);
	/* Suspending or deleting ends every session of the user. */
	sqlite3_bind_int(st, 3, to != IDG_USER_ACTIVE ? 1 : 0);
	sqlite3_bind_int64(st, 4, u.id);
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	/*
	 * Deleting frees the device-certificate option with the license, and
	 * the user's certificates stop working at once (they go on the CRL).
	 */
	if (to == IDG_USER_DELETED &&
	    ((status = devcerts_revoke_all(q, tenant_id, u.id, "user_deleted", now, NULL,
	    __func__)) != IDG_OK || (status = user_device_set(q, u.id, false, now,
	    __func__)) != IDG_OK))
		goto out;
	status = license_touch(q, tenant_id, now);
out:
	return tx_end(q, status, __func__);
}

/* Runs one UPDATE keyed by user id after checking the user is in the tenant. */
static int
user_update(struct sq *q, int64_t tenant_id, int64_t user_id, sqlite3_stmt *st,
    int id_param, const char *func)
{
	int status;

	status = user_query(q, S_U_BYID, tenant_id, NULL, user_id, NULL, func);
	if (status != IDG_OK) {
		sqlite3_reset(st);
		return status;
	}
	sqlite3_bind_int64(st, id_param, user_id);
	return run(q, st, func);
}

static int
sq_user_set_password(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    const char *password_hash, bool must_change)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if (strlen(password_hash) >= 192)
		return IDG_INVALID;
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((st = get(q, S_U_PW)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_text(st, 1, password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, must_change ? 1 : 0);
	sqlite3_bind_int64(st, 3, idg_now());
	status = user_update(q, tenant_id, user_id, st, 4, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_user_unlock(struct idg_store *s, int64_t tenant_id, int64_t user_id)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((st = get(q, S_U_UNLOCK)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, idg_now());
	status = user_update(q, tenant_id, user_id, st, 2, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_user_record_signin(struct idg_store *s, int64_t tenant_id, int64_t user_id, bool ok,
    int64_t now, int max_failures, int lockout_s, int64_t *locked_until)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t lock;
	int rc, status, failures;

	if (locked_until != NULL)
		*locked_until = 0;
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((st = get(q, S_U_SIGNIN_READ)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, user_id);
	rc = sqlite3_step(st);
	failures = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	lock = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
	done(st);
	if (rc != SQLITE_ROW) {
		status = rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
		goto out;
	}
	/*
	 * Checked again inside the transaction: attempts racing the one that
	 * set the lock are refused, and none of them is recorded.
	 */
	if (lock > now) {
		if (locked_until != NULL)
			*locked_until = lock;
		status = IDG_DECLINED;
		goto out;
	}
	/* Only the columns that change are written (see the generation trigger). */
	if (ok) {
		if ((st = get(q, S_U_SIGNIN_OK)) == NULL) {
			status = IDG_ERR;
			goto out;
		}
		sqlite3_bind_int64(st, 1, now);
	} else if (max_failures > 0 && failures + 1 >= max_failures) {
		lock = now + (lockout_s > 0 ? lockout_s : 0);
		if ((st = get(q, S_U_LOCK)) == NULL) {
			status = IDG_ERR;
			goto out;
		}
		sqlite3_bind_int64(st, 1, lock);
	} else {
		if ((st = get(q, S_U_SIGNIN_FAIL)) == NULL) {
			status = IDG_ERR;
			goto out;
		}
		sqlite3_bind_int(st, 1, failures < 1000000 ? failures + 1 : failures);
	}
	sqlite3_bind_int64(st, 2, user_id);
	if ((status = run(q, st, __func__)) == IDG_OK && locked_until != NULL)
		*locked_until = lock;
out:
	return tx_end(q, status, __func__);
}

static int
sq_user_import(struct idg_store *s, int64_t tenant_id, const struct idg_user_row *rows,
    int nrows, bool skip_existing, struct idg_license_numbers *lic, int *bad_line,
    int *added, int *skipped)
{
	struct idg_license_numbers n = { 0, 0, 0 };
	struct sq *q = SQ(s);
	char (*em)[255] = NULL;
	bool *skip = NULL;
	int64_t now = idg_now();
	int i, status, nadd = 0, nskip = 0;

	if (nrows == 0)
		return license_numbers(q, tenant_id, &n);
	em = calloc((size_t)nrows, sizeof(*em));
	skip = calloc((size_t)nrows, sizeof(*skip));
	if (em == NULL || skip == NULL) {
		free(em);
		free(skip);
		return IDG_ERR;
	}
	for (i = 0; i < nrows; i++) {
		if (norm_email(rows[i].email, em[i]) != IDG_OK ||
		    strlen(rows[i].display_name) > 128 ||
		    strnlen(rows[i].password_hash, 192) >= 192) {
			*bad_line = rows[i].line;
			status = IDG_INVALID;
			goto free;
		}
	}
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		goto free;
	if ((status = license_numbers(q, tenant_id, &n)) != IDG_OK)
		goto out;
	for (i = 0; i < nrows; i++) {
		status = user_query(q, S_U_BYEMAIL, tenant_id, em[i], 0, NULL, __func__);
		if (status == IDG_OK) {
			if (!skip_existing) {
				*bad_line = rows[i].line;
				status = IDG_EXISTS;
				goto out;
			}
			skip[i] = true;
			nskip++;
		} else if (status != IDG_NOTFOUND) {
			goto out;
		} else {
			nadd++;
		}
	}
	/* One license check for the whole file. */
	n.requested = nadd;
	if (lic != NULL)
		*lic = n;
	if ((status = idg_license_check_take(&n)) != IDG_OK)
		goto out;
	for (i = 0; i < nrows; i++) {
		if (skip[i])
			continue;
		status = insert_user(q, tenant_id, em[i], rows[i].display_name,
		    IDG_USER_PERSON, rows[i].password_hash, rows[i].must_change_password, now,
		    NULL, __func__);
		if (status != IDG_OK) {
			*bad_line = rows[i].line;	/* e.g. the same e-mail twice */
			goto out;
		}
	}
	status = license_touch(q, tenant_id, now);
out:
	status = tx_end(q, status, __func__);
	if (status == IDG_OK) {
		*added = nadd;
		*skipped = nskip;
	}
free:
	free(em);
	free(skip);
	return status;
}

/* Groups. */

static int
sq_group_add(struct idg_store *s, int64_t tenant_id, const char *name,
    struct idg_group *out)
{
	struct idg_license_numbers n;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if (name[0] == '\0' || strlen(name) > 128)
		return IDG_INVALID;
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = license_numbers(q, tenant_id, &n)) != IDG_OK)	/* tenant exists? */
		goto out;
	if ((st = get(q, S_G_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_last_insert_rowid(q->db);
		out->tenant_id = tenant_id;
		idg_strlcpy(out->name, name, sizeof(out->name));
	}
out:
	return tx_end(q, status, __func__);
}

/* The id of a row found by (tenant_id, text); IDG_NOTFOUND if none. */
static int
lookup_id(struct sq *q, enum sid id, int64_t tenant_id, const char *text, int64_t *out)
{
	sqlite3_stmt *st = get(q, id);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
}

static int
sq_group_add_member(struct idg_store *s, int64_t tenant_id, const char *group,
    const char *email)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	char em[255];
	int64_t gid, uid;
	int status;

	if (norm_email(email, em) != IDG_OK)
		return IDG_NOTFOUND;
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = lookup_id(q, S_G_BYNAME, tenant_id, group, &gid)) != IDG_OK ||
	    (status = lookup_id(q, S_U_LIVE_ID, tenant_id, em, &uid)) != IDG_OK)
		goto out;
	if ((st = get(q, S_GM_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, uid);
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
group_each(struct sq *q, sqlite3_stmt *st, idg_group_each_fn *fn, void *arg,
    const char *func)
{
	struct idg_group g;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_group(st, &g);
		if (fn(arg, &g) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, func, rc);
}

static int
sq_group_list(struct idg_store *s, int64_t tenant_id, idg_group_each_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_G_LIST);

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	return group_each(q, st, fn, arg, __func__);
}

static int
sq_user_groups(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    idg_group_each_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_G_OFUSER);

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, user_id);
	return group_each(q, st, fn, arg, __func__);
}

/* Audit log. */

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int
audit_insert(struct sq *q, const struct idg_audit_event *e, int64_t at)
{
	sqlite3_stmt *st = get(q, S_A_INS);

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int64(st, 2, e->tenant_id);
	bind_opt(st, 3, e->actor);
	bind_opt(st, 4, e->action);
	bind_opt(st, 5, e->target);
	bind_opt(st, 6, e->result);
	bind_opt(st, 7, e->ip);
	bind_opt(st, 8, e->detail);
	return run(q, st, __func__);
}

static int activity_mark(struct sq *q, int64_t tenant_id, int64_t user_id,
    const char *month, int64_t at, bool *first);

/* The event and, when it names one, its user's active-ID mark; the caller holds the transaction. */
static int
audit_write(struct sq *q, const struct idg_audit_event *e, int64_t at)
{
	char month[8];
	int status;

	if ((status = audit_insert(q, e, at)) != IDG_OK || e->active_user_id == 0)
		return status;
	idg_jst_month(at, month);
	return activity_mark(q, e->tenant_id, e->active_user_id, month, at, NULL);
}

static int
sq_audit_append(struct idg_store *s, const struct idg_audit_event *e)
{
	struct sq *q = SQ(s);
	int64_t at = e->at != 0 ? e->at : idg_now();
	int status;

	if (e->active_user_id == 0)
		return audit_insert(q, e, at);
	/* The event and the active-ID mark are one fact: one transaction. */
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	status = audit_write(q, e, at);
	return tx_end(q, status, __func__);
}

/* One commit for many events: the per-event cost left is two statement steps. */
static int
sq_audit_append_many(struct idg_store *s, const struct idg_audit_event *e, int n)
{
	struct sq *q = SQ(s);
	int i, status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	for (i = 0; i < n && status == IDG_OK; i++)
		status = audit_write(q, &e[i], e[i].at != 0 ? e[i].at : idg_now());
	return tx_end(q, status, __func__);
}

static int
sq_activity_mark(struct idg_store *s, int64_t tenant_id, int64_t user_id, const char *month,
    int64_t at, bool *first)
{
	return activity_mark(SQ(s), tenant_id, user_id, month, at, first);
}

static int
activity_mark(struct sq *q, int64_t tenant_id, int64_t user_id, const char *month,
    int64_t at, bool *first)
{
	sqlite3_stmt *st = get(q, S_MA_INS);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, month, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, user_id);
	sqlite3_bind_int64(st, 4, at);
	if ((rc = run(q, st, __func__)) == IDG_OK && first != NULL)
		*first = sqlite3_changes(q->db) > 0;
	return rc;
}

static int
sq_activity_count(struct idg_store *s, int64_t tenant_id, const char *month, int *n)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_MA_COUNT);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, month, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	done(st);
	return rc == SQLITE_ROW ? IDG_OK : fail(q, __func__, rc);
}

static const char *
col_opt(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int
sq_audit_list(struct idg_store *s, int64_t tenant_id, int limit, idg_audit_each_fn *fn,
    void *arg)
{
	struct idg_audit_event e;
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, tenant_id != 0 ? S_A_LIST_T : S_A_LIST_ALL);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int(st, 1, limit);
	if (tenant_id != 0)
		sqlite3_bind_int64(st, 2, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.at = sqlite3_column_int64(st, 0);
		e.tenant_id = sqlite3_column_int64(st, 1);
		e.actor = col_opt(st, 2);
		e.action = col_opt(st, 3);
		e.target = col_opt(st, 4);
		e.result = col_opt(st, 5);
		e.ip = col_opt(st, 6);
		e.detail = col_opt(st, 7);
		if (fn(arg, &e) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

/* OpenID provider: signing keys. */

static void
read_key(sqlite3_stmt *st, struct idg_signing_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(st, 0);
	k->tenant_id = sqlite3_column_int64(st, 1);
	col_text(st, 2, k->use, sizeof(k->use));
	col_text(st, 3, k->alg, sizeof(k->alg));
	col_text(st, 4, k->kid, sizeof(k->kid));
	col_text(st, 5, k->sealed, sizeof(k->sealed));
	col_text(st, 6, k->public_jwk, sizeof(k->public_jwk));
	k->status = sqlite3_column_int(st, 7);
	k->created_at = sqlite3_column_int64(st, 8);
	k->activated_at = sqlite3_column_int64(st, 9);
	k->retired_at = sqlite3_column_int64(st, 10);
}

static int
sq_key_add(struct idg_store *s, struct idg_signing_key *k)
{
	struct idg_license_numbers n;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t now = idg_now();
	int64_t activated = k->activated_at;
	int status;

	if (k->status == IDG_KEY_CURRENT && activated == 0)
		activated = now;
	if (k->status != IDG_KEY_CURRENT)
		activated = 0;
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = license_numbers(q, k->tenant_id, &n)) != IDG_OK)	/* tenant exists? */
		goto out;
	if ((st = get(q, S_K_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, k->tenant_id);
	sqlite3_bind_text(st, 2, k->use, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->alg, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, k->kid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, k->sealed, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, k->public_jwk, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, k->status);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, activated);
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	k->id = sqlite3_last_insert_rowid(q->db);
	k->created_at = now;
	k->activated_at = activated;
	k->retired_at = 0;
out:
	return tx_end(q, status, __func__);
}

static int
sq_key_list(struct idg_store *s, int64_t tenant_id, const char *use, idg_key_each_fn *fn,
    void *arg)
{
	struct idg_signing_key *k;
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, use != NULL ? S_K_LIST_USE : S_K_LIST_ALL);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	/* About 6 KiB: kept off the stack of a pool thread. */
	if ((k = malloc(sizeof(*k))) == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	if (use != NULL)
		sqlite3_bind_text(st, 2, use, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_key(st, k);
		if (fn(arg, k) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	/* The sealed private key was in this buffer. */
	idg_wipe(k, sizeof(*k));
	free(k);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_key_promote(struct idg_store *s, int64_t tenant_id, const char *use, const char *alg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t now = idg_now(), next_id = 0;
	int rc, status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((st = get(q, S_K_NEXT)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, use, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, alg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		next_id = sqlite3_column_int64(st, 0);
	done(st);
	if (rc != SQLITE_ROW) {
		status = rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
		goto out;
	}
	/* Retire first: the schema allows one current key per tenant, use and alg. */
	if ((st = get(q, S_K_RETIRE)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, tenant_id);
	sqlite3_bind_text(st, 3, use, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, alg, -1, SQLITE_STATIC);
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	if ((st = get(q, S_K_ACTIVATE)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, next_id);
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_key_purge_retired(struct idg_store *s, int64_t tenant_id, const char *use, int64_t before,
    int *n)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, use != NULL ? S_K_PURGE_USE : S_K_PURGE);
	int status;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, before);
	if (use != NULL)
		sqlite3_bind_text(st, 3, use, -1, SQLITE_STATIC);
	if ((status = run(q, st, __func__)) == IDG_OK)
		*n = sqlite3_changes(q->db);
	return status;
}

/* OpenID provider: clients. */

static void
read_client(sqlite3_stmt *st, struct idg_oidc_client *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->tenant_id = sqlite3_column_int64(st, 1);
	col_text(st, 2, c->client_id, sizeof(c->client_id));
	col_text(st, 3, c->name, sizeof(c->name));
	c->confidential = sqlite3_column_int(st, 4) != 0;
	col_text(st, 5, c->secret_hash, sizeof(c->secret_hash));
	col_text(st, 6, c->redirect_uris, sizeof(c->redirect_uris));
	col_text(st, 7, c->post_logout_uris, sizeof(c->post_logout_uris));
	col_text(st, 8, c->scopes, sizeof(c->scopes));
	col_text(st, 9, c->grant_types, sizeof(c->grant_types));
	col_text(st, 10, c->id_token_alg, sizeof(c->id_token_alg));
	c->pairwise = sqlite3_column_int(st, 11) != 0;
	col_text(st, 12, c->initiate_login_uri, sizeof(c->initiate_login_uri));
	c->access_token_ttl_s = sqlite3_column_int(st, 13);
	c->id_token_ttl_s = sqlite3_column_int(st, 14);
	c->refresh_token_ttl_s = sqlite3_column_int(st, 15);
	c->resource_server = sqlite3_column_int(st, 16) != 0;
	c->created_at = sqlite3_column_int64(st, 17);
	c->device_required = sqlite3_column_int(st, 18) != 0;
}

static int
sq_oidc_client_add(struct idg_store *s, struct idg_oidc_client *c)
{
	struct idg_license_numbers n;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t now = idg_now();
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = license_numbers(q, c->tenant_id, &n)) != IDG_OK)	/* tenant exists? */
		goto out;
	if ((st = get(q, S_C_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, c->tenant_id);
	sqlite3_bind_text(st, 2, c->client_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, c->confidential ? 1 : 0);
	sqlite3_bind_text(st, 5, c->secret_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->redirect_uris, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, c->post_logout_uris, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, c->scopes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, c->grant_types, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, c->id_token_alg, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, c->pairwise ? 1 : 0);
	sqlite3_bind_text(st, 12, c->initiate_login_uri, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 13, c->access_token_ttl_s);
	sqlite3_bind_int(st, 14, c->id_token_ttl_s);
	sqlite3_bind_int(st, 15, c->refresh_token_ttl_s);
	sqlite3_bind_int(st, 16, c->resource_server ? 1 : 0);
	sqlite3_bind_int64(st, 17, now);
	sqlite3_bind_int(st, 18, c->device_required ? 1 : 0);
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	c->id = sqlite3_last_insert_rowid(q->db);
	c->created_at = now;
out:
	return tx_end(q, status, __func__);
}

static int
client_get(struct sq *q, int64_t tenant_id, const char *client_id,
    struct idg_oidc_client *out, const char *func)
{
	sqlite3_stmt *st = get(q, S_C_GET);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, client_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out != NULL)
		read_client(st, out);
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, func, rc);
}

static int
sq_oidc_client_get(struct idg_store *s, int64_t tenant_id, const char *client_id,
    struct idg_oidc_client *out)
{
	return client_get(SQ(s), tenant_id, client_id, out, __func__);
}

static int
sq_oidc_client_list(struct idg_store *s, int64_t tenant_id, idg_oidc_client_each_fn *fn,
    void *arg)
{
	struct idg_oidc_client *c;
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_C_LIST);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	/* About 5 KiB: kept off the stack of a pool thread. */
	if ((c = malloc(sizeof(*c))) == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_client(st, c);
		if (fn(arg, c) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	free(c);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_oidc_client_delete(struct idg_store *s, int64_t tenant_id, const char *client_id)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_C_DEL);
	int status;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, client_id, -1, SQLITE_STATIC);
	/* Assignments go with the client (ON DELETE CASCADE). */
	if ((status = run(q, st, __func__)) != IDG_OK)
		return status;
	return sqlite3_changes(q->db) > 0 ? IDG_OK : IDG_NOTFOUND;
}

static int
sq_oidc_client_set_secret(struct idg_store *s, int64_t tenant_id, const char *client_id,
    const char *secret_hash)
{
	struct idg_oidc_client *c;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if ((c = malloc(sizeof(*c))) == NULL)
		return IDG_ERR;
	if ((status = tx_begin(q, __func__)) != IDG_OK) {
		free(c);
		return status;
	}
	if ((status = client_get(q, tenant_id, client_id, c, __func__)) != IDG_OK)
		goto out;
	if (!c->confidential) {
		status = IDG_DECLINED;
		goto out;
	}
	if ((st = get(q, S_C_SECRET)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_text(st, 1, secret_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->id);
	status = run(q, st, __func__);
out:
	free(c);
	return tx_end(q, status, __func__);
}

static int
sq_oidc_client_assign(struct idg_store *s, int64_t tenant_id, const char *client_id,
    const char *kind, const char *who)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	bool user = strcmp(kind, "user") == 0;
	char em[255];
	int64_t crow, id;
	int status;

	if (user && norm_email(who, em) != IDG_OK)
		return IDG_NOTFOUND;	/* no stored address is malformed */
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = lookup_id(q, S_C_ROWID, tenant_id, client_id, &crow)) != IDG_OK)
		goto out;
	if (user)
		status = lookup_id(q, S_U_LIVE_ID, tenant_id, em, &id);
	else
		status = lookup_id(q, S_G_BYNAME, tenant_id, who, &id);
	if (status != IDG_OK)
		goto out;
	if ((st = get(q, user ? S_CA_INS_U : S_CA_INS_G)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, crow);
	sqlite3_bind_int64(st, 2, id);
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_oidc_client_assignments(struct idg_store *s, int64_t tenant_id, const char *client_id,
    idg_client_assignment_each_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t crow;
	int rc, status;

	if ((status = lookup_id(q, S_C_ROWID, tenant_id, client_id, &crow)) != IDG_OK)
		return status;
	if ((st = get(q, S_CA_LIST)) == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, crow);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, col_opt(st, 0), col_opt(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_oidc_client_users(struct idg_store *s, int64_t tenant_id, idg_client_user_each_fn *fn,
    void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_CA_USERS);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, col_opt(st, 0), sqlite3_column_int64(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

/* Second factor. */

/* Binds (tenant_id, user_id) as ?1, ?2 of a cached statement; NULL if it cannot be prepared. */
static sqlite3_stmt *
get_tu(struct sq *q, enum sid id, int64_t tenant_id, int64_t user_id)
{
	sqlite3_stmt *st = get(q, id);

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, tenant_id);
		sqlite3_bind_int64(st, 2, user_id);
	}
	return st;
}

static int
sq_mfa_get(struct idg_store *s, int64_t tenant_id, int64_t user_id, struct idg_user_mfa *out)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get_tu(q, S_MFA_GET, tenant_id, user_id);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->user_id = sqlite3_column_int64(st, 0);
		col_text(st, 1, out->totp_sealed, sizeof(out->totp_sealed));
		out->confirmed = sqlite3_column_int(st, 2) != 0;
		out->last_step = sqlite3_column_int64(st, 3);
		out->updated_at = sqlite3_column_int64(st, 4);
		out->recovery_left = sqlite3_column_int(st, 5);
	}
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
}

/* Whether the user has a secret (*confirmed set) or not (IDG_NOTFOUND). */
static int
mfa_state(struct sq *q, int64_t tenant_id, int64_t user_id, bool *confirmed)
{
	sqlite3_stmt *st = get_tu(q, S_MFA_STATE, tenant_id, user_id);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*confirmed = sqlite3_column_int(st, 0) != 0;
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
}

/* Deletes the user's recovery codes (inside the caller's transaction). */
static int
recovery_clear(struct sq *q, int64_t user_id, const char *func)
{
	sqlite3_stmt *st = get(q, S_RC_DEL);

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, user_id);
	return run(q, st, func);
}

static int
sq_mfa_begin(struct idg_store *s, int64_t tenant_id, int64_t user_id, const char *totp_sealed)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	bool confirmed = false;
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = user_query(q, S_U_BYID, tenant_id, NULL, user_id, NULL, __func__)) !=
	    IDG_OK)
		goto out;
	status = mfa_state(q, tenant_id, user_id, &confirmed);
	if (status == IDG_OK && confirmed) {
		status = IDG_EXISTS;	/* a working factor is replaced only by a reset */
		goto out;
	}
	if (status != IDG_OK && status != IDG_NOTFOUND)
		goto out;
	if ((st = get_tu(q, S_MFA_DEL, tenant_id, user_id)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	if ((status = run(q, st, __func__)) != IDG_OK ||
	    (status = recovery_clear(q, user_id, __func__)) != IDG_OK)
		goto out;
	if ((st = get_tu(q, S_MFA_INS, tenant_id, user_id)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_text(st, 3, totp_sealed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, idg_now());
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_mfa_confirm(struct idg_store *s, int64_t tenant_id, int64_t user_id, int64_t step,
    const char hashes[][65], int nhashes)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	bool confirmed = false;
	int status, i;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = mfa_state(q, tenant_id, user_id, &confirmed)) != IDG_OK)
		goto out;
	if (confirmed) {
		status = IDG_EXISTS;
		goto out;
	}
	if ((st = get_tu(q, S_MFA_CONFIRM, tenant_id, user_id)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 3, step);
	sqlite3_bind_int64(st, 4, idg_now());
	if ((status = run(q, st, __func__)) != IDG_OK ||
	    (status = recovery_clear(q, user_id, __func__)) != IDG_OK)
		goto out;
	for (i = 0; i < nhashes; i++) {
		if ((st = get(q, S_RC_INS)) == NULL) {
			status = IDG_ERR;
			goto out;
		}
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_text(st, 2, hashes[i], 64, SQLITE_STATIC);
		if ((status = run(q, st, __func__)) != IDG_OK) {
			if (status == IDG_EXISTS)
				status = IDG_INVALID;	/* the same hash twice */
			goto out;
		}
	}
out:
	return tx_end(q, status, __func__);
}

static int
sq_mfa_use_step(struct idg_store *s, int64_t tenant_id, int64_t user_id, int64_t step)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get_tu(q, S_MFA_STEP, tenant_id, user_id);
	bool confirmed;
	int status;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 3, step);
	sqlite3_bind_int64(st, 4, idg_now());
	if ((status = run(q, st, __func__)) != IDG_OK)
		return status;
	if (sqlite3_changes(q->db) == 1)
		return IDG_OK;
	/* Nothing changed: a replay, or no secret at all. */
	status = mfa_state(q, tenant_id, user_id, &confirmed);
	return status == IDG_OK ? IDG_DECLINED : status;
}

static int
sq_mfa_use_recovery(struct idg_store *s, int64_t tenant_id, int64_t user_id, const char *hash)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get_tu(q, S_RC_USE, tenant_id, user_id);
	int status;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_text(st, 3, hash, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, idg_now());
	if ((status = run(q, st, __func__)) != IDG_OK)
		return status;
	return sqlite3_changes(q->db) == 1 ? IDG_OK : IDG_DECLINED;
}

static int
sq_mfa_reset(struct idg_store *s, int64_t tenant_id, int64_t user_id)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status, deleted = 0;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = user_query(q, S_U_BYID, tenant_id, NULL, user_id, NULL, __func__)) !=
	    IDG_OK)
		goto out;
	if ((st = get_tu(q, S_MFA_DEL, tenant_id, user_id)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	deleted = sqlite3_changes(q->db);
	/* Codes without a secret are useless: cleared whether or not there was one. */
	status = recovery_clear(q, user_id, __func__);
out:
	status = tx_end(q, status, __func__);
	return status == IDG_OK && deleted == 0 ? IDG_NOTFOUND : status;
}

/* Tenant policy. */

static int
sq_policy_get(struct idg_store *s, int64_t tenant_id, char **text, bool *mfa_required)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_P_GET);
	const unsigned char *t;
	int rc, status = IDG_OK;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*mfa_required = sqlite3_column_int(st, 1) != 0;
		if ((t = sqlite3_column_text(st, 0)) != NULL &&
		    (*text = strdup((const char *)t)) == NULL) {
			log_error("out of memory");
			status = IDG_ERR;
		}
	}
	done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(q, __func__, rc);
	return status;
}

static int
sq_policy_set(struct idg_store *s, int64_t tenant_id, const char *text, int mfa_required)
{
	struct idg_license_numbers n;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = license_numbers(q, tenant_id, &n)) != IDG_OK)	/* tenant exists? */
		goto out;
	if ((st = get(q, S_P_SET)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, tenant_id);
	/* "" removes the text: stored as NULL, read back as "no policy". */
	if (text != NULL && text[0] != '\0')
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int(st, 3, mfa_required == 1 ? 1 : 0);
	sqlite3_bind_int64(st, 4, idg_now());
	sqlite3_bind_int(st, 5, text != NULL ? 1 : 0);
	sqlite3_bind_int(st, 6, mfa_required >= 0 ? 1 : 0);
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

/* Tenant security settings. */

static int
sq_security_get(struct idg_store *s, int64_t tenant_id, struct idg_tenant_security *out)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_SEC_GET);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->password_min_length = sqlite3_column_int(st, 0);
		out->password_expiry_days = sqlite3_column_int(st, 1);
		out->suspend_unused_days = sqlite3_column_int(st, 2);
		out->session_idle_s = sqlite3_column_int(st, 3);
		out->session_lifetime_s = sqlite3_column_int(st, 4);
	}
	done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(q, __func__, rc);
	return IDG_OK;
}

static int
sq_security_set(struct idg_store *s, int64_t tenant_id, const struct idg_tenant_security *in)
{
	struct idg_license_numbers n;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = license_numbers(q, tenant_id, &n)) != IDG_OK)	/* tenant exists? */
		goto out;
	if ((st = get(q, S_SEC_SET)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int(st, 2, in->password_min_length);
	sqlite3_bind_int(st, 3, in->password_expiry_days);
	sqlite3_bind_int(st, 4, in->suspend_unused_days);
	sqlite3_bind_int(st, 5, in->session_idle_s);
	sqlite3_bind_int(st, 6, in->session_lifetime_s);
	sqlite3_bind_int64(st, 7, idg_now());
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_suspend_unused(struct idg_store *s, int64_t tenant_id, int64_t before, int64_t now, int *n)
{
	struct idg_license_numbers lic;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = license_numbers(q, tenant_id, &lic)) != IDG_OK)	/* tenant exists? */
		goto out;
	if ((st = get(q, S_U_SUSPEND_UNUSED)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, now);
	if ((status = run(q, st, __func__)) == IDG_OK)
		*n = sqlite3_changes(q->db);
out:
	status = tx_end(q, status, __func__);
	if (status != IDG_OK)
		*n = 0;
	return status;
}

/* Billing, reports, cancellation, daily jobs. */

static int
sq_activity_days(struct idg_store *s, int64_t tenant_id, const char *month,
    idg_day_count_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_MA_DAYS);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, month, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_audit_counts(struct idg_store *s, int64_t tenant_id, int64_t from, int64_t to,
    idg_audit_count_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_A_COUNTS);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *action = col_opt(st, 1), *result = col_opt(st, 2);

		if (fn(arg, (const char *)sqlite3_column_text(st, 0), action != NULL ? action : "",
		    result != NULL ? result : "", col_opt(st, 3), sqlite3_column_int(st, 4)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_audit_purge(struct idg_store *s, int64_t before, int *n)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status, changed;

	*n = 0;
	do {
		if ((st = get(q, S_A_PURGE)) == NULL)
			return IDG_ERR;
		sqlite3_bind_int64(st, 1, before);
		if ((status = run(q, st, __func__)) != IDG_OK)
			return status;
		changed = sqlite3_changes(q->db);
		*n += changed;
	} while (changed > 0);
	return IDG_OK;
}

static int
sq_license_snapshot(struct idg_store *s, int64_t now, int *n)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t *ids = NULL, *grown;
	size_t nids = 0, cap = 0, i;
	int rc, status;

	*n = 0;
	if ((st = get(q, S_LD_LIVE)) == NULL)
		return IDG_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nids == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			if ((grown = realloc(ids, cap * sizeof(*ids))) == NULL) {
				done(st);
				free(ids);
				return IDG_ERR;
			}
			ids = grown;
		}
		ids[nids++] = sqlite3_column_int64(st, 0);
	}
	done(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		return fail(q, __func__, rc);
	}
	/* One transaction per tenant: a large store never holds the lock for long. */
	for (i = 0, status = IDG_OK; i < nids && status == IDG_OK; i++) {
		if ((status = tx_begin(q, __func__)) != IDG_OK)
			break;
		status = tx_end(q, license_touch(q, ids[i], now), __func__);
		if (status == IDG_OK)
			(*n)++;
	}
	free(ids);
	return status;
}

static int
sq_license_days(struct idg_store *s, int64_t tenant_id, const char *from_day,
    const char *to_day, idg_license_day_each_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_LD_DAYS);
	struct idg_license_day d;
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, from_day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, to_day, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&d, 0, sizeof(d));
		col_text(st, 0, d.day, sizeof(d.day));
		d.contracted_ids = sqlite3_column_int(st, 1);
		d.in_use_peak = sqlite3_column_int(st, 2);
		d.in_use_end = sqlite3_column_int(st, 3);
		d.device_licensed = sqlite3_column_int(st, 4);
		d.device_users = sqlite3_column_int(st, 5);
		if (fn(arg, &d) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_tenant_apps(struct idg_store *s, int64_t tenant_id, idg_app_each_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_T_APPS);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_tenant_cancel(struct idg_store *s, const char *company_id, int64_t now)
{
	/*
	 * Children first: assignments and memberships go with users and clients,
	 * device certificates and requests before their users.
	 */
	static const enum sid purge[] = { S_X_CLIENTS, S_X_SAML, S_X_DEVCERTS, S_X_DEVREQ,
	    S_X_PREREG, S_X_CA, S_X_USERS, S_X_GROUPS, S_X_KEYS, S_X_POLICY, S_X_SEC };
	struct idg_tenant t;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	size_t i;
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = tenant_get(q, company_id, &t)) != IDG_OK)
		goto out;
	if (t.status == IDG_TENANT_CANCELLED) {
		status = IDG_DECLINED;
		goto out;
	}
	for (i = 0; i < sizeof(purge) / sizeof(purge[0]); i++) {
		if ((st = get(q, purge[i])) == NULL) {
			status = IDG_ERR;
			goto out;
		}
		sqlite3_bind_int64(st, 1, t.id);
		if ((status = run(q, st, __func__)) != IDG_OK)
			goto out;
	}
	if ((st = get(q, S_T_CANCEL)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, t.id);
	/*
	 * No license row for the purge: the month's figures stay those at the
	 * cancellation (what was used), and no later day is snapshotted.
	 */
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

static void
read_report_meta(sqlite3_stmt *st, struct idg_report_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->tenant_id = sqlite3_column_int64(st, 0);
	col_text(st, 1, m->month, sizeof(m->month));
	col_text(st, 2, m->from_day, sizeof(m->from_day));
	col_text(st, 3, m->to_day, sizeof(m->to_day));
	col_text(st, 4, m->due, sizeof(m->due));
	m->final = sqlite3_column_int(st, 5) != 0;
	m->generated_at = sqlite3_column_int64(st, 6);
}

static int
sq_report_put(struct idg_store *s, const struct idg_report_meta *m, const char *html,
    size_t html_len, const char *csv, size_t csv_len, const char *json, size_t json_len)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_R_INS);

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, m->tenant_id);
	sqlite3_bind_text(st, 2, m->month, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->from_day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->to_day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->due, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, m->final ? 1 : 0);
	sqlite3_bind_int64(st, 7, m->generated_at);
	sqlite3_bind_blob64(st, 8, html, html_len, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 9, csv, csv_len, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 10, json, json_len, SQLITE_STATIC);
	return run(q, st, __func__);
}

static int
sq_report_get(struct idg_store *s, int64_t tenant_id, const char *month, const char *format,
    struct idg_report_meta *meta, char **data, size_t *len)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_R_GET);
	const void *blob;
	size_t n;
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, month, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, format, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		done(st);
		return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
	}
	if (meta != NULL)
		read_report_meta(st, meta);
	blob = sqlite3_column_blob(st, 7);
	n = (size_t)sqlite3_column_bytes(st, 7);
	if (data != NULL) {
		if ((*data = malloc(n + 1)) == NULL) {
			done(st);
			return IDG_ERR;
		}
		if (n > 0)
			memcpy(*data, blob, n);
		(*data)[n] = '\0';
	}
	if (len != NULL)
		*len = n;
	done(st);
	return IDG_OK;
}

static int
sq_report_list(struct idg_store *s, int64_t tenant_id, idg_report_each_fn *fn, void *arg)
{
	struct idg_report_meta m;
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, tenant_id != 0 ? S_R_LIST_T : S_R_LIST_ALL);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	if (tenant_id != 0)
		sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_report_meta(st, &m);
		if (fn(arg, &m) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_job_due(struct idg_store *s, const char *name, const char *day, bool *due)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_J_GET);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	/* Days compare as text: "YYYY-MM-DD" sorts in date order. */
	*due = rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), day) < 0;
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_job_done(struct idg_store *s, const char *name, const char *day)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_J_SET);

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	return run(q, st, __func__);
}

/* The device-certificate option (migration 0009). */

/* Column 0 of the first row of a bound statement; IDG_NOTFOUND without a row. */
static int
first_int(struct sq *q, sqlite3_stmt *st, int64_t *out, const char *func)
{
	int rc;

	if (st == NULL)
		return IDG_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, func, rc);
}

/* Binds tenant_id as ?1 of a cached statement; NULL if it cannot be prepared. */
static sqlite3_stmt *
get_t(struct sq *q, enum sid id, int64_t tenant_id)
{
	sqlite3_stmt *st = get(q, id);

	if (st != NULL)
		sqlite3_bind_int64(st, 1, tenant_id);
	return st;
}

/* The tenant's device figures and settings (inside or outside a transaction). */
static int
device_read(struct sq *q, int64_t tenant_id, struct idg_device_settings *out,
    int *tenant_status, const char *func)
{
	sqlite3_stmt *st = get(q, S_T_DEV);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->licensed = sqlite3_column_int(st, 0);
		out->assigned = sqlite3_column_int(st, 1);
		out->required = sqlite3_column_int(st, 2) != 0;
		out->exempt_admins = sqlite3_column_int(st, 3) != 0;
		out->approval = sqlite3_column_int(st, 4) != 0;
		*tenant_status = sqlite3_column_int(st, 5);
	}
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, func, rc);
}

/* A user's kind, status and option flag. IDG_NOTFOUND if not in the tenant. */
static int
device_user(struct sq *q, int64_t tenant_id, int64_t user_id, int *kind, int *ustatus,
    bool *on, const char *func)
{
	sqlite3_stmt *st = get_tu(q, S_U_DEV, tenant_id, user_id);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*kind = sqlite3_column_int(st, 0);
		*ustatus = sqlite3_column_int(st, 1);
		*on = sqlite3_column_int(st, 2) != 0;
	}
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, func, rc);
}

/* The user's certificates valid at now (idg_devcert_valid_at). */
static int
devcerts_valid(struct sq *q, int64_t tenant_id, int64_t user_id, int64_t now, int *n,
    const char *func)
{
	sqlite3_stmt *st = get_tu(q, S_DC_VALID, tenant_id, user_id);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	done(st);
	return rc == SQLITE_ROW ? IDG_OK : fail(q, func, rc);
}

/* A malloc'ed copy of a BLOB column (at least one byte allocated). */
static int
col_blob_dup(sqlite3_stmt *st, int i, uint8_t **out, size_t *len)
{
	const void *b = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if ((*out = malloc(n > 0 ? n : 1)) == NULL) {
		log_error("out of memory");
		return IDG_ERR;
	}
	if (n > 0)
		memcpy(*out, b, n);
	*len = n;
	return IDG_OK;
}

static int
sq_device_settings_get(struct idg_store *s, int64_t tenant_id,
    struct idg_device_settings *out)
{
	int tstatus;

	return device_read(SQ(s), tenant_id, out, &tstatus, __func__);
}

static int
sq_device_settings_set(struct idg_store *s, int64_t tenant_id,
    const struct idg_device_settings *in, int64_t now, int *why,
    struct idg_license_numbers *lic)
{
	struct idg_device_settings cur;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status, tstatus = 0;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = device_read(q, tenant_id, &cur, &tstatus, __func__)) != IDG_OK)
		goto out;
	if (tstatus == IDG_TENANT_CANCELLED) {
		status = IDG_NOTFOUND;	/* a cancelled tenant's pool is closed */
		goto out;
	}
	lic->contracted = cur.licensed;
	lic->in_use = cur.assigned;
	lic->requested = in->licensed;
	/* The option is never licensed below the users who hold it. */
	if (in->licensed < cur.assigned) {
		*why = IDG_DEVREF_LICENSE_BELOW_ASSIGNED;
		status = IDG_DECLINED;
		goto out;
	}
	if ((st = get(q, S_T_DEV_SET)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int(st, 1, in->licensed);
	sqlite3_bind_int(st, 2, in->required ? 1 : 0);
	sqlite3_bind_int(st, 3, in->exempt_admins ? 1 : 0);
	sqlite3_bind_int(st, 4, in->approval ? 1 : 0);
	sqlite3_bind_int64(st, 5, tenant_id);
	if ((status = run(q, st, __func__)) == IDG_OK)
		status = license_touch(q, tenant_id, now);
out:
	return tx_end(q, status, __func__);
}

static int
sq_user_device_license(struct idg_store *s, int64_t tenant_id, int64_t user_id, bool on,
    int64_t now, int *why, struct idg_license_numbers *lic)
{
	struct idg_device_settings cur;
	struct sq *q = SQ(s);
	bool has = false;
	int status, tstatus = 0, kind = 0, ustatus = 0, valid = 0;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = device_read(q, tenant_id, &cur, &tstatus, __func__)) != IDG_OK ||
	    (status = device_user(q, tenant_id, user_id, &kind, &ustatus, &has, __func__)) !=
	    IDG_OK)
		goto out;
	lic->contracted = cur.licensed;
	lic->in_use = cur.assigned;
	lic->requested = on ? 1 : 0;
	if (kind != IDG_USER_PERSON) {
		status = IDG_INVALID;	/* service accounts hold no license of any kind */
		goto out;
	}
	if (has == on)
		goto out;	/* idempotent: nothing to write */
	if (on) {
		if (ustatus == IDG_USER_DELETED) {
			*why = IDG_DEVREF_USER_INACTIVE;
			status = IDG_DECLINED;
			goto out;
		}
		/* Service rules: the option is held by at most device_licensed users. */
		if (cur.assigned + 1 > cur.licensed) {
			*why = IDG_DEVREF_LICENSE_EXHAUSTED;
			status = IDG_DECLINED;
			goto out;
		}
	} else {
		/* Only a holder of the option may hold certificates: revoke them first. */
		if ((status = devcerts_valid(q, tenant_id, user_id, now, &valid, __func__)) !=
		    IDG_OK)
			goto out;
		if (valid > 0) {
			*why = IDG_DEVREF_HOLDS_CERTS;
			status = IDG_DECLINED;
			goto out;
		}
	}
	if ((status = user_device_set(q, user_id, on, now, __func__)) == IDG_OK)
		status = license_touch(q, tenant_id, now);
out:
	return tx_end(q, status, __func__);
}

static int
sq_user_has_device_license(struct idg_store *s, int64_t tenant_id, int64_t user_id, bool *on)
{
	int kind, ustatus;

	return device_user(SQ(s), tenant_id, user_id, &kind, &ustatus, on, __func__);
}

/* The tenant CA and its CRL. */

static int
sq_ca_get(struct idg_store *s, int64_t tenant_id, struct idg_tenant_ca *out)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_TCA_GET);
	size_t n;
	int rc, status = IDG_OK;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->tenant_id = sqlite3_column_int64(st, 0);
		out->alg = sqlite3_column_int(st, 1);
		col_text(st, 2, out->key_sealed, sizeof(out->key_sealed));
		n = (size_t)sqlite3_column_bytes(st, 3);
		if (n > sizeof(out->cert_der)) {
			log_error("store %s: tenant %lld: CA certificate of %zu bytes does not"
			    " fit", q->path, (long long)tenant_id, n);
			status = IDG_ERR;
		} else {
			if (n > 0)
				memcpy(out->cert_der, sqlite3_column_blob(st, 3), n);
			out->cert_len = n;
		}
		out->crl_number = sqlite3_column_int64(st, 4);
		out->crl_next_update = sqlite3_column_int64(st, 5);
		out->created_at = sqlite3_column_int64(st, 6);
	}
	done(st);
	if (rc == SQLITE_ROW)
		return status;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
}

static int
sq_ca_put(struct idg_store *s, const struct idg_tenant_ca *ca)
{
	struct idg_license_numbers n;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	/* A cancelled tenant's keys and certificates are purged: none comes back. */
	if ((status = license_numbers(q, ca->tenant_id, &n)) != IDG_OK)
		goto out;
	if ((st = get(q, S_TCA_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, ca->tenant_id);
	sqlite3_bind_int(st, 2, ca->alg);
	sqlite3_bind_text(st, 3, ca->key_sealed, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 4, ca->cert_der, ca->cert_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, ca->created_at > 0 ? ca->created_at : idg_now());
	/* The primary key keeps the first CA: a racing second put gets IDG_EXISTS. */
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_crl_get(struct idg_store *s, int64_t tenant_id, uint8_t **der, size_t *len,
    int64_t *number, int64_t *next_update)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_CRL_GET);
	int rc, status = IDG_OK;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		status = col_blob_dup(st, 0, der, len);
		*number = sqlite3_column_int64(st, 1);
		*next_update = sqlite3_column_int64(st, 2);
	}
	done(st);
	if (rc == SQLITE_ROW)
		return status;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
}

static int
sq_crl_put(struct idg_store *s, int64_t tenant_id, const uint8_t *der, size_t len,
    int64_t number, int64_t next_update)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_CRL_PUT);
	int64_t cur;
	int status;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_blob64(st, 2, der, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, number);
	sqlite3_bind_int64(st, 4, next_update);
	if ((status = run(q, st, __func__)) != IDG_OK)
		return status;
	if (sqlite3_changes(q->db) > 0)
		return IDG_OK;
	/* Nothing written: a newer CRL is stored (IDG_OK), or there is no CA. */
	return first_int(q, get_t(q, S_CRL_NUM, tenant_id), &cur, __func__);
}

static int
sq_crl_next_number(struct idg_store *s, int64_t tenant_id, int64_t *number)
{
	int64_t cur = 0;
	int status;

	if ((status = first_int(SQ(s), get_t(SQ(s), S_CRL_NUM, tenant_id), &cur,
	    __func__)) == IDG_OK)
		*number = cur > 0 ? cur + 1 : 1;
	return status;
}

/* Device certificates. */

static void
read_devcert(sqlite3_stmt *st, struct idg_devcert *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->tenant_id = sqlite3_column_int64(st, 1);
	c->user_id = sqlite3_column_int64(st, 2);
	col_text(st, 3, c->serial, sizeof(c->serial));
	col_text(st, 4, c->device_id, sizeof(c->device_id));
	col_text(st, 5, c->device_name, sizeof(c->device_name));
	col_text(st, 6, c->device_type, sizeof(c->device_type));
	col_text(st, 7, c->device_identifier, sizeof(c->device_identifier));
	col_text(st, 8, c->enrolled_by, sizeof(c->enrolled_by));
	c->not_before = sqlite3_column_int64(st, 9);
	c->not_after = sqlite3_column_int64(st, 10);
	c->status = sqlite3_column_int(st, 11);
	c->revoked_at = sqlite3_column_int64(st, 12);
	col_text(st, 13, c->revoked_by, sizeof(c->revoked_by));
	c->created_at = sqlite3_column_int64(st, 14);
}

static int
sq_devcert_add(struct idg_store *s, struct idg_devcert *c, const uint8_t *der,
    size_t der_len, int64_t now, int *why, int *valid_now)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	bool has = false;
	int status, kind = 0, ustatus = 0;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = device_user(q, c->tenant_id, c->user_id, &kind, &ustatus, &has,
	    __func__)) != IDG_OK)
		goto out;
	if (kind != IDG_USER_PERSON || ustatus != IDG_USER_ACTIVE) {
		*why = IDG_DEVREF_USER_INACTIVE;
		status = IDG_DECLINED;
		goto out;
	}
	/* Service rules: a user needs the option to hold certificates. */
	if (!has) {
		*why = IDG_DEVREF_NOT_LICENSED;
		status = IDG_DECLINED;
		goto out;
	}
	/* Service rules: at most IDG_DEVCERT_MAX_PER_ID valid certificates per ID at once. */
	if ((status = devcerts_valid(q, c->tenant_id, c->user_id, now, valid_now,
	    __func__)) != IDG_OK)
		goto out;
	if (*valid_now >= IDG_DEVCERT_MAX_PER_ID) {
		*why = IDG_DEVREF_LIMIT;
		status = IDG_DECLINED;
		goto out;
	}
	if ((st = get(q, S_DC_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, c->tenant_id);
	sqlite3_bind_int64(st, 2, c->user_id);
	sqlite3_bind_text(st, 3, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->device_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->device_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, c->device_identifier, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, c->enrolled_by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, c->not_before);
	sqlite3_bind_int64(st, 10, c->not_after);
	sqlite3_bind_blob64(st, 11, der, der_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, now);
	/* A taken serial: IDG_EXISTS from the UNIQUE constraint. */
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	c->id = sqlite3_last_insert_rowid(q->db);
	c->created_at = now;
	c->status = IDG_DEVCERT_ISSUED;
	c->revoked_at = 0;
	c->revoked_by[0] = '\0';
out:
	return tx_end(q, status, __func__);
}

/* Binds (tenant_id, serial) as ?1, ?2 of a cached statement; NULL if it cannot be prepared. */
static sqlite3_stmt *
get_ts(struct sq *q, enum sid id, int64_t tenant_id, const char *serial)
{
	sqlite3_stmt *st = get(q, id);

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, tenant_id);
		sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	}
	return st;
}

static int
devcert_get(struct sq *q, int64_t tenant_id, const char *serial, struct idg_devcert *out,
    const char *func)
{
	sqlite3_stmt *st = get_ts(q, S_DC_GET, tenant_id, serial);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_devcert(st, out);
	done(st);
	if (rc == SQLITE_ROW)
		return IDG_OK;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, func, rc);
}

static int
sq_devcert_get(struct idg_store *s, int64_t tenant_id, const char *serial,
    struct idg_devcert *out)
{
	return devcert_get(SQ(s), tenant_id, serial, out, __func__);
}

static int
sq_devcert_der(struct idg_store *s, int64_t tenant_id, const char *serial, uint8_t **der,
    size_t *len)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get_ts(q, S_DC_DER, tenant_id, serial);
	int rc, status = IDG_OK;

	if (st == NULL)
		return IDG_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		status = col_blob_dup(st, 0, der, len);
	done(st);
	if (rc == SQLITE_ROW)
		return status;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
}

static int
sq_devcert_revoke(struct idg_store *s, int64_t tenant_id, const char *serial,
    int64_t user_id, const char *by, int64_t now)
{
	struct idg_devcert c;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = devcert_get(q, tenant_id, serial, &c, __func__)) != IDG_OK)
		goto out;
	/* A user revokes only their own: another user's reads as not found. */
	if (user_id > 0 && c.user_id != user_id) {
		status = IDG_NOTFOUND;
		goto out;
	}
	if (c.status == IDG_DEVCERT_REVOKED) {
		status = IDG_DECLINED;
		goto out;
	}
	if ((st = get(q, S_DC_REVOKE)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c.id);
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_devcert_revoke_user(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    const char *by, int64_t now, int *n)
{
	struct sq *q = SQ(s);
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = user_query(q, S_U_BYID, tenant_id, NULL, user_id, NULL, __func__)) ==
	    IDG_OK)
		status = devcerts_revoke_all(q, tenant_id, user_id, by, now, n, __func__);
	return tx_end(q, status, __func__);
}

static int
devcert_each(struct sq *q, sqlite3_stmt *st, idg_devcert_each_fn *fn, void *arg,
    const char *func)
{
	struct idg_devcert c;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_devcert(st, &c);
		if (fn(arg, &c) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, func, rc);
}

static int
sq_devcert_list(struct idg_store *s, int64_t tenant_id, int64_t user_id,
    idg_devcert_each_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;

	if (user_id > 0)
		st = get_tu(q, S_DC_LIST_U, tenant_id, user_id);
	else
		st = get_t(q, S_DC_LIST_T, tenant_id);
	if (st == NULL)
		return IDG_ERR;
	return devcert_each(q, st, fn, arg, __func__);
}

static int
sq_devcert_revoked(struct idg_store *s, int64_t tenant_id, idg_devcert_each_fn *fn,
    void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_DC_REVOKED);

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	return devcert_each(q, st, fn, arg, __func__);
}

static int
sq_devcert_counts(struct idg_store *s, int64_t tenant_id, int64_t user_id, int64_t now,
    struct idg_devcert_counts *out)
{
	struct idg_device_settings set;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	bool has = false;
	int rc, status, tstatus, kind, ustatus;

	/* One read transaction: the figures are of one moment. */
	if (sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return fail(q, __func__, sqlite3_extended_errcode(q->db));
	if ((status = device_read(q, tenant_id, &set, &tstatus, __func__)) != IDG_OK)
		goto out;
	out->licensed = set.licensed;
	out->assigned = set.assigned;
	if (user_id > 0) {
		if ((status = device_user(q, tenant_id, user_id, &kind, &ustatus, &has,
		    __func__)) != IDG_OK)
			goto out;
		out->assigned = has ? 1 : 0;
		st = get_tu(q, S_DC_COUNTS_U, tenant_id, user_id);
	} else {
		st = get_t(q, S_DC_COUNTS_T, tenant_id);
	}
	if (st == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->valid = sqlite3_column_int(st, 0);
		out->revoked = sqlite3_column_int(st, 1);
		out->expired = sqlite3_column_int(st, 2);
		out->expiring_30d = sqlite3_column_int(st, 3);
	}
	done(st);
	if (rc != SQLITE_ROW)
		status = fail(q, __func__, rc);
out:
	tx_rollback(q);	/* read only: nothing to keep */
	return status;
}

static int
sq_devcert_period(struct idg_store *s, int64_t tenant_id, int64_t from, int64_t to,
    struct idg_devcert_period *out)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get_t(q, S_DC_PERIOD, tenant_id);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	/* One statement: the three figures are of one moment. */
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->issued = sqlite3_column_int(st, 0);
		out->revoked = sqlite3_column_int(st, 1);
		out->valid_end = sqlite3_column_int(st, 2);
	}
	done(st);
	return rc == SQLITE_ROW ? IDG_OK : fail(q, __func__, rc);
}

/* Pre-registered devices and enrolment requests. */

static int
sq_device_prereg_add(struct idg_store *s, int64_t tenant_id, const char *email,
    const char *device_type, const char *device_identifier)
{
	struct idg_license_numbers n;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	char em[255];
	int status;

	if (norm_email(email, em) != IDG_OK)
		return IDG_INVALID;
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = license_numbers(q, tenant_id, &n)) != IDG_OK)	/* tenant exists? */
		goto out;
	if ((st = get(q, S_PR_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, em, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, device_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, device_identifier, -1, SQLITE_STATIC);
	/* An identifier already registered in the tenant: IDG_EXISTS (primary key). */
	status = run(q, st, __func__);
out:
	return tx_end(q, status, __func__);
}

static int
sq_device_prereg_match(struct idg_store *s, int64_t tenant_id, const char *email,
    const char *device_identifier, bool *match)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	char em[255];
	int rc;

	if (norm_email(email, em) != IDG_OK)
		return IDG_OK;	/* no stored address is malformed: no match */
	if ((st = get(q, S_PR_MATCH)) == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, device_identifier, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, em, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*match = rc == SQLITE_ROW;
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_device_request_add(struct idg_store *s, struct idg_device_request *r,
    const uint8_t *csr_der, size_t csr_len)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t now = idg_now();
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = user_query(q, S_U_BYID, r->tenant_id, NULL, r->user_id, NULL,
	    __func__)) != IDG_OK)
		goto out;
	if ((st = get(q, S_DR_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, r->tenant_id);
	sqlite3_bind_int64(st, 2, r->user_id);
	sqlite3_bind_text(st, 3, r->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->device_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->device_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->device_identifier, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 7, csr_der, csr_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now);
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	r->id = sqlite3_last_insert_rowid(q->db);
	r->status = 0;
	r->created_at = now;
out:
	return tx_end(q, status, __func__);
}

static void
read_request(sqlite3_stmt *st, struct idg_device_request *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->tenant_id = sqlite3_column_int64(st, 1);
	r->user_id = sqlite3_column_int64(st, 2);
	col_text(st, 3, r->device_id, sizeof(r->device_id));
	col_text(st, 4, r->device_name, sizeof(r->device_name));
	col_text(st, 5, r->device_type, sizeof(r->device_type));
	col_text(st, 6, r->device_identifier, sizeof(r->device_identifier));
	r->status = sqlite3_column_int(st, 7);
	r->created_at = sqlite3_column_int64(st, 8);
}

static int
sq_device_request_get(struct idg_store *s, int64_t tenant_id, int64_t id,
    struct idg_device_request *out, uint8_t **csr_der, size_t *csr_len)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get_tu(q, S_DR_GET, tenant_id, id);
	int rc, status = IDG_OK;

	if (st == NULL)
		return IDG_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_request(st, out);
		if (csr_der != NULL)
			status = col_blob_dup(st, 9, csr_der, csr_len);
	}
	done(st);
	if (rc == SQLITE_ROW)
		return status;
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
}

static int
sq_device_request_list(struct idg_store *s, int64_t tenant_id, idg_device_request_each_fn *fn,
    void *arg)
{
	struct idg_device_request r;
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_DR_LIST);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_request(st, &r);
		if (fn(arg, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_device_request_decide(struct idg_store *s, int64_t tenant_id, int64_t id, int status,
    const char *serial, const char *by, int64_t now)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get_tu(q, S_DR_DECIDE, tenant_id, id);
	int64_t one;
	int rv;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int(st, 3, status);
	sqlite3_bind_text(st, 4, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	if ((rv = run(q, st, __func__)) != IDG_OK)
		return rv;
	if (sqlite3_changes(q->db) > 0)
		return IDG_OK;
	/* Nothing changed: decided already, or no such request. */
	rv = first_int(q, get_tu(q, S_DR_EXISTS, tenant_id, id), &one, __func__);
	return rv == IDG_OK ? IDG_DECLINED : rv;
}

/* SAML IdP: service providers (migration 0010). */

/* Fills *a from a SAML_SELECT row; metadata points into the row (borrowed). */
static void
read_saml_app(sqlite3_stmt *st, struct idg_saml_app *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->tenant_id = sqlite3_column_int64(st, 1);
	col_text(st, 2, a->app_id, sizeof(a->app_id));
	col_text(st, 3, a->name, sizeof(a->name));
	col_text(st, 4, a->entity_id, sizeof(a->entity_id));
	a->metadata = (char *)sqlite3_column_text(st, 5);
	a->nameid_format = sqlite3_column_int(st, 6);
	col_text(st, 7, a->nameid_source, sizeof(a->nameid_source));
	col_text(st, 8, a->attributes, sizeof(a->attributes));
	a->sign_requests = sqlite3_column_int(st, 9) != 0;
	a->sign_assertion = sqlite3_column_int(st, 10) != 0;
	a->sign_response = sqlite3_column_int(st, 11) != 0;
	a->encrypt_assertion = sqlite3_column_int(st, 12) != 0;
	a->sp_initiated = sqlite3_column_int(st, 13) != 0;
	a->idp_initiated = sqlite3_column_int(st, 14) != 0;
	a->device_required = sqlite3_column_int(st, 15) != 0;
	a->created_at = sqlite3_column_int64(st, 16);
}

/* Binds the mutable fields of a as ?3..?15 (the order of S_SA_INS and S_SA_UPD). */
static void
bind_saml_app(sqlite3_stmt *st, const struct idg_saml_app *a)
{
	sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->entity_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->metadata, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, a->nameid_format);
	sqlite3_bind_text(st, 7, a->nameid_source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, a->attributes, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, a->sign_requests ? 1 : 0);
	sqlite3_bind_int(st, 10, a->sign_assertion ? 1 : 0);
	sqlite3_bind_int(st, 11, a->sign_response ? 1 : 0);
	sqlite3_bind_int(st, 12, a->encrypt_assertion ? 1 : 0);
	sqlite3_bind_int(st, 13, a->sp_initiated ? 1 : 0);
	sqlite3_bind_int(st, 14, a->idp_initiated ? 1 : 0);
	sqlite3_bind_int(st, 15, a->device_required ? 1 : 0);
}

static int
sq_saml_app_add(struct idg_store *s, struct idg_saml_app *a)
{
	struct idg_license_numbers n;
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t now = idg_now();
	int status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	/* The tenant exists and is not cancelled (a cancelled one reads as not found). */
	if ((status = license_numbers(q, a->tenant_id, &n)) != IDG_OK)
		goto out;
	if ((st = get(q, S_SA_INS)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, a->tenant_id);
	sqlite3_bind_text(st, 2, a->app_id, -1, SQLITE_STATIC);
	bind_saml_app(st, a);
	sqlite3_bind_int64(st, 16, now);
	/* A taken app_id or entity_id is a UNIQUE violation: IDG_EXISTS. */
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	a->id = sqlite3_last_insert_rowid(q->db);
	a->created_at = now;
out:
	return tx_end(q, status, __func__);
}

/* The app by app_id (or entity_id when app_id is NULL) with an owned metadata. */
static int
saml_app_get(struct sq *q, int64_t tenant_id, const char *app_id, const char *entity_id,
    struct idg_saml_app *out, const char *func)
{
	sqlite3_stmt *st = get(q, app_id != NULL ? S_SA_GET : S_SA_GET_E);
	int rc, status = IDG_OK;

	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, app_id != NULL ? app_id : entity_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_saml_app(st, out);
		if ((out->metadata = strdup(out->metadata != NULL ? out->metadata : "")) == NULL)
			status = IDG_ERR;
	}
	done(st);
	if (rc == SQLITE_ROW) {
		if (status != IDG_OK) {
			log_error("out of memory");
			memset(out, 0, sizeof(*out));
		}
		return status;
	}
	return rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, func, rc);
}

static int
sq_saml_app_get(struct idg_store *s, int64_t tenant_id, const char *app_id,
    const char *entity_id, struct idg_saml_app *out)
{
	return saml_app_get(SQ(s), tenant_id, app_id, entity_id, out, __func__);
}

static int
sq_saml_app_list(struct idg_store *s, int64_t tenant_id, idg_saml_app_each_fn *fn, void *arg)
{
	struct idg_saml_app *a;
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_SA_LIST);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	/* About 5 KiB: kept off the stack of a pool thread. */
	if ((a = malloc(sizeof(*a))) == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_saml_app(st, a);
		if (fn(arg, a) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	free(a);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_saml_app_update(struct idg_store *s, struct idg_saml_app *a)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t row;
	int rc, status;

	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((st = get(q, S_SA_UPD)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, a->tenant_id);
	sqlite3_bind_text(st, 2, a->app_id, -1, SQLITE_STATIC);
	bind_saml_app(st, a);
	/* entity_id taken by another app of the tenant: UNIQUE violation, IDG_EXISTS. */
	if ((status = run(q, st, __func__)) != IDG_OK)
		goto out;
	if (sqlite3_changes(q->db) == 0) {
		status = IDG_NOTFOUND;
		goto out;
	}
	if ((status = lookup_id(q, S_SA_ROWID, a->tenant_id, a->app_id, &row)) != IDG_OK)
		goto out;
	a->id = row;
	/* created_at is not rewritten: read it back for the caller. */
	if ((st = get(q, S_SA_GET)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, a->tenant_id);
	sqlite3_bind_text(st, 2, a->app_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		a->created_at = sqlite3_column_int64(st, 16);
	done(st);
	if (rc != SQLITE_ROW)
		status = rc == SQLITE_DONE ? IDG_NOTFOUND : fail(q, __func__, rc);
out:
	return tx_end(q, status, __func__);
}

static int
sq_saml_app_delete(struct idg_store *s, int64_t tenant_id, const char *app_id)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_SA_DEL);
	int status;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_text(st, 2, app_id, -1, SQLITE_STATIC);
	/* Assignments go with the app (ON DELETE CASCADE). */
	if ((status = run(q, st, __func__)) != IDG_OK)
		return status;
	return sqlite3_changes(q->db) > 0 ? IDG_OK : IDG_NOTFOUND;
}

static int
sq_saml_app_assign(struct idg_store *s, int64_t tenant_id, const char *app_id,
    const char *kind, const char *who, bool on)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	bool user = strcmp(kind, "user") == 0;
	enum sid sid;
	char em[255];
	int64_t arow, id;
	int status;

	if (user && norm_email(who, em) != IDG_OK)
		return IDG_NOTFOUND;	/* no stored address is malformed */
	if ((status = tx_begin(q, __func__)) != IDG_OK)
		return status;
	if ((status = lookup_id(q, S_SA_ROWID, tenant_id, app_id, &arow)) != IDG_OK)
		goto out;
	/* Only a user who is not deleted can be given an app; any can lose one. */
	if (user)
		status = lookup_id(q, on ? S_U_LIVE_ID : S_SA_UID, tenant_id, em, &id);
	else
		status = lookup_id(q, S_G_BYNAME, tenant_id, who, &id);
	if (status != IDG_OK)
		goto out;
	if (on)
		sid = user ? S_SAA_INS_U : S_SAA_INS_G;
	else
		sid = user ? S_SAA_DEL_U : S_SAA_DEL_G;
	if ((st = get(q, sid)) == NULL) {
		status = IDG_ERR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, arow);
	sqlite3_bind_int64(st, 2, id);
	if ((status = run(q, st, __func__)) == IDG_OK && !on && sqlite3_changes(q->db) == 0)
		status = IDG_NOTFOUND;
out:
	return tx_end(q, status, __func__);
}

static int
sq_saml_app_assignments(struct idg_store *s, int64_t tenant_id, const char *app_id,
    idg_client_assignment_each_fn *fn, void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t arow;
	int rc, status;

	if ((status = lookup_id(q, S_SA_ROWID, tenant_id, app_id, &arow)) != IDG_OK)
		return status;
	if ((st = get(q, S_SAA_LIST)) == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, arow);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, col_opt(st, 0), col_opt(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

static int
sq_saml_app_users(struct idg_store *s, int64_t tenant_id, idg_client_user_each_fn *fn,
    void *arg)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = get(q, S_SAA_USERS);
	int rc;

	if (st == NULL)
		return IDG_ERR;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, col_opt(st, 0), sqlite3_column_int64(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	done(st);
	return rc == SQLITE_DONE ? IDG_OK : fail(q, __func__, rc);
}

const struct idg_store_ops idg_store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.free = sq_free,
	.migrate = sq_migrate,
	.schema_version = sq_schema_version,
	.ping = sq_ping,
	.generation = sq_generation,
	.tenant_create = sq_tenant_create,
	.tenant_get = sq_tenant_get,
	.tenant_list = sq_tenant_list,
	.tenant_list_brief = sq_tenant_list_brief,
	.tenant_set_contract = sq_tenant_set_contract,
	.tenant_complete_setup = sq_tenant_complete_setup,
	.user_add = sq_user_add,
	.user_get_by_email = sq_user_get_by_email,
	.user_get = sq_user_get,
	.user_list = sq_user_list,
	.user_set_status = sq_user_set_status,
	.user_set_password = sq_user_set_password,
	.user_unlock = sq_user_unlock,
	.user_record_signin = sq_user_record_signin,
	.user_import = sq_user_import,
	.group_add = sq_group_add,
	.group_add_member = sq_group_add_member,
	.group_list = sq_group_list,
	.user_groups = sq_user_groups,
	.audit_append = sq_audit_append,
	.audit_append_many = sq_audit_append_many,
	.audit_list = sq_audit_list,
	.activity_mark = sq_activity_mark,
	.activity_count = sq_activity_count,
	.activity_days = sq_activity_days,
	.audit_counts = sq_audit_counts,
	.audit_purge = sq_audit_purge,
	.license_snapshot = sq_license_snapshot,
	.license_days = sq_license_days,
	.tenant_apps = sq_tenant_apps,
	.tenant_cancel = sq_tenant_cancel,
	.report_put = sq_report_put,
	.report_get = sq_report_get,
	.report_list = sq_report_list,
	.job_due = sq_job_due,
	.job_done = sq_job_done,
	.key_add = sq_key_add,
	.key_list = sq_key_list,
	.key_promote = sq_key_promote,
	.key_purge_retired = sq_key_purge_retired,
	.oidc_client_add = sq_oidc_client_add,
	.oidc_client_get = sq_oidc_client_get,
	.oidc_client_list = sq_oidc_client_list,
	.oidc_client_delete = sq_oidc_client_delete,
	.oidc_client_set_secret = sq_oidc_client_set_secret,
	.oidc_client_assign = sq_oidc_client_assign,
	.oidc_client_assignments = sq_oidc_client_assignments,
	.oidc_client_users = sq_oidc_client_users,
	.mfa_get = sq_mfa_get,
	.mfa_begin = sq_mfa_begin,
	.mfa_confirm = sq_mfa_confirm,
	.mfa_use_step = sq_mfa_use_step,
	.mfa_use_recovery = sq_mfa_use_recovery,
	.mfa_reset = sq_mfa_reset,
	.policy_get = sq_policy_get,
	.policy_set = sq_policy_set,
	.security_get = sq_security_get,
	.security_set = sq_security_set,
	.suspend_unused = sq_suspend_unused,
	.device_settings_get = sq_device_settings_get,
	.device_settings_set = sq_device_settings_set,
	.user_device_license = sq_user_device_license,
	.user_has_device_license = sq_user_has_device_license,
	.ca_get = sq_ca_get,
	.ca_put = sq_ca_put,
	.crl_get = sq_crl_get,
	.crl_put = sq_crl_put,
	.crl_next_number = sq_crl_next_number,
	.devcert_add = sq_devcert_add,
	.devcert_get = sq_devcert_get,
	.devcert_der = sq_devcert_der,
	.devcert_revoke = sq_devcert_revoke,
	.devcert_revoke_user = sq_devcert_revoke_user,
	.devcert_list = sq_devcert_list,
	.devcert_revoked = sq_devcert_revoked,
	.devcert_counts = sq_devcert_counts,
	.devcert_period = sq_devcert_period,
	.device_prereg_add = sq_device_prereg_add,
	.device_prereg_match = sq_device_prereg_match,
	.device_request_add = sq_device_request_add,
	.device_request_get = sq_device_request_get,
	.device_request_list = sq_device_request_list,
	.device_request_decide = sq_device_request_decide,
	.saml_app_add = sq_saml_app_add,
	.saml_app_get = sq_saml_app_get,
	.saml_app_list = sq_saml_app_list,
	.saml_app_update = sq_saml_app_update,
	.saml_app_delete = sq_saml_app_delete,
	.saml_app_assign = sq_saml_app_assign,
	.saml_app_assignments = sq_saml_app_assignments,
	.saml_app_users = sq_saml_app_users,
};
