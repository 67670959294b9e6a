/*
 * saml_leak.c - runs N complete SSOs (lasso SP request, our parse, our signed
 * Response, lasso SP verification) and N logout requests, to show under
 * valgrind --leak-check=full or an ASan build that nothing leaks per
 * request: compare the "definitely lost" totals of N=10 and N=5000. Exits 0
 * when every round trip succeeded. Not a benchmark (tests/bench).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/status.h"
#include "tests/unit/saml/saml_fixture.h"

int
main(int argc, char **argv)
{
	static const char *const vals[] = { "staff", "ops" };
	static const struct idg_saml_attr attrs[] = { { "groups", NULL, NULL, vals, 2 } };
	struct fixture f;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	int bad = 0;

	if (fixture_init(&f) != 0) {
		fprintf(stderr, "fixture failed\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		struct idg_saml_msg_in in = { IDG_SAML_BINDING_REDIRECT, NULL, NULL, NULL };
		struct idg_saml_subject s = { "alice@example.com", IDG_SAML_NAMEID_EMAIL, attrs,
		    1, "_s", 0, NULL };
		struct idg_saml_logout_target t = { "https://sp2.example/md", "p1",
		    IDG_SAML_NAMEID_PERSISTENT, "_s", NULL };
		struct idg_saml_authn a;
		struct idg_saml_out o;
		LassoLogin *l;
		char *q, *id, err[256];
		bool post = i % 2;

		id = fixture_sp_request(&f, 0, post ? IDG_SAML_BINDING_POST :
		    IDG_SAML_BINDING_REDIRECT, true, NULL, NULL, false, false, "rs", &q);
		in.binding = post ? IDG_SAML_BINDING_POST : IDG_SAML_BINDING_REDIRECT;
		in.raw_query = q;
		in.message = q;
		in.relay_state = "rs";
		if (id == NULL || idg_saml_authn_parse(f.idp, &in, time(NULL), 60, &a, err,
		    sizeof(err)) != IDG_OK ||
		    idg_saml_response(f.idp, &a, &s, time(NULL), 300, 60, &o) != IDG_OK) {
			bad++;
		} else {
			l = lasso_login_new(f.sp[0]);
			if (lasso_login_process_authn_response_msg(l, o.value) != 0)
				bad++;
			lasso_login_destroy(l);
			idg_saml_out_free(&o);
		}
		free(q);
		free(id);
		if (idg_saml_error_response(f.idp, &a, IDG_SAML_ST_NO_PASSIVE, NULL, time(NULL),
		    &o) != IDG_OK)
			bad++;
		idg_saml_out_free(&o);
		if (idg_saml_logout_request(f.idp, &t, time(NULL), 60, &o) != IDG_OK)
			bad++;
		idg_saml_out_free(&o);
	}
	fixture_free(&f);
	idg_saml_shutdown();
	printf("%ld rounds, %d failures\n", n, bad);
	return bad == 0 ? 0 : 1;
}
