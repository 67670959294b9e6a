/*
 * handlers.h - the request handlers. Each takes ownership of the request
 * and answers it exactly once (now, or later from a callback).
 */
#ifndef IDG_HANDLERS_H
#define IDG_HANDLERS_H

struct idg_req;

/* health.c */
void	idg_h_healthz(struct idg_req *r);
void	idg_h_readyz(struct idg_req *r);
void	idg_h_metrics(struct idg_req *r);
/* static.c */
void	idg_h_static_css(struct idg_req *r);
/* login.c */
void	idg_h_login_global(struct idg_req *r);
void	idg_h_login_form(struct idg_req *r);
void	idg_h_login_submit(struct idg_req *r);
void	idg_h_logout(struct idg_req *r);
void	idg_h_password_form(struct idg_req *r);
void	idg_h_password_submit(struct idg_req *r);
/* mfa.c */
void	idg_h_mfa_form(struct idg_req *r);
void	idg_h_mfa_submit(struct idg_req *r);
/* portal.c */
void	idg_h_portal(struct idg_req *r);
void	idg_h_session_json(struct idg_req *r);
/* reports.c: name is the part after /reports/ ("YYYY-MM.html|csv|json"). */
void	idg_h_reports(struct idg_req *r);
void	idg_h_report_file(struct idg_req *r, const char *name);
/* device.c: the device check (device listener only) and the user's devices. */
void	idg_h_device_check(struct idg_req *r);
void	idg_h_devices(struct idg_req *r);
void	idg_h_devices_post(struct idg_req *r);
void	idg_h_devices_download(struct idg_req *r);
/* /certs/{company_id}/{crl,ca,enroll}: rest is what follows the company ID. */
void	idg_h_certs(struct idg_req *r, const char *rest);
/* saml.c: /saml/{company_id}/{metadata,sso,resume,slo}; rest follows the company ID. */
void	idg_h_saml(struct idg_req *r, const char *rest);
/* /t/{company_id}/apps/{app_id}/launch: IdP-initiated SSO. */
void	idg_h_saml_launch(struct idg_req *r, const char *app_id);
/* Portal sign-out when the tenant has SAML apps: ends the session and tells its SPs. */
void	idg_saml_portal_logout(struct idg_req *r);
/* A session was renewed: its list of SAML SPs (for single logout) moves along. */
void	idg_saml_session_renewed(struct idg_req *r, const char *old_id, const char *new_id);
/* Frees this pool thread's cached IdPs (from the pool's thread_fini). */
void	idg_saml_thread_done(void);
void	idg_h_operator_billing(struct idg_req *r);

#endif
