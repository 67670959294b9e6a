/*
 * cli_group.c - `idgate group add|add-member|list`.
 *
 * Groups are per tenant, named, and hold users (policies and app
 * assignments refer to them elsewhere). This file only parses, calls the
 * store, audits and renders; membership rules live in the store.
 */
#include <stdio.h>
#include <string.h>

#include "cli_impl.h"
#include "../util/status.h"

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
cmd_add(struct cli *c, int argc, char **argv)
{
	struct idg_tenant t;
	struct idg_group g;
	char *pos[1];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 1, "group add --tenant ID NAME", pos,
	    &t)) != 0)
		return rc;
	if (!name_ok(pos[0]))
		return cli_fail(IDG_EXIT_USAGE, "invalid_name", "a group name has 1 to 128"
		    " bytes and no control characters");
	st = idg_store_group_add(c->st, t.id, pos[0], &g);
	if (st == IDG_EXISTS)
		return cli_fail(IDG_EXIT_REFUSED, "group_exists", "group \"%s\" already exists"
		    " in tenant %s", pos[0], t.company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "adding the group");
	cli_audit(c, t.id, "group.add", pos[0], "ok", NULL);
	printf("group %s added to tenant %s\n", g.name, t.company_id);
	return 0;
}

static int
cmd_add_member(struct cli *c, int argc, char **argv)
{
	struct idg_tenant t;
	struct idg_user u;
	char *pos[2], detail[160];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, NULL, 2, "group add-member --tenant ID GROUP"
	    " EMAIL", pos, &t)) != 0)
		return rc;
	st = idg_store_user_get_by_email(c->st, t.id, pos[1], &u);
	if (st == IDG_NOTFOUND || (st == IDG_OK && u.status == IDG_USER_DELETED))
		return cli_fail(IDG_EXIT_REFUSED, "user_not_found", "no user \"%s\" in tenant"
		    " %s", pos[1], t.company_id);
	if (st != IDG_OK)
		return cli_store_fail(st, "reading the user");
	st = idg_store_group_add_member(c->st, t.id, pos[0], pos[1]);
	if (st == IDG_NOTFOUND)
		return cli_fail(IDG_EXIT_REFUSED, "group_not_found", "no group \"%s\" in tenant"
		    " %s", pos[0], t.company_id);
	if (st == IDG_EXISTS)
		return cli_fail(IDG_EXIT_REFUSED, "already_member", "%s is already in group"
		    " \"%s\"", u.email, pos[0]);
	if (st != IDG_OK)
		return cli_store_fail(st, "adding the member");
	snprintf(detail, sizeof(detail), "group %s", pos[0]);
	cli_audit(c, t.id, "group.add_member", u.email, "ok", detail);
	printf("%s added to group %s\n", u.email, pos[0]);
	return 0;
}

struct glist {
	json_t	*arr;
	int	 n;
};

static int
glist_row(void *arg, const struct idg_group *g)
{
	struct glist *l = arg;

	if (l->arr != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(g->name));
		json_object_set_new(o, "members", json_integer(g->members));
		json_array_append_new(l->arr, o);
		return 0;
	}
	if (l->n++ == 0)
		printf("%-40s %s\n", "GROUP", "MEMBERS");
	printf("%-40s %d\n", g->name, g->members);
	return 0;
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	struct glist l = { NULL, 0 };
	struct idg_tenant t;
	bool json = false;
	char *pos[1];
	int rc, st;

	if ((rc = cli_tenant_args(c, argc, argv, &json, 0, "group list --tenant ID [--json]", pos,
	    &t)) != 0)
		return rc;
	if (json)
		l.arr = json_array();
	if ((st = idg_store_group_list(c->st, t.id, glist_row, &l)) != IDG_OK) {
		json_decref(l.arr);
		return cli_store_fail(st, "listing groups");
	}
	if (json)
		return cli_json_print(l.arr);
	if (l.n == 0)
		printf("no groups\n");
	return 0;
}

int
cli_group(struct cli *c, int argc, char **argv)
{
	const char *verb = argv[0];

	if (strcmp(verb, "add") == 0)
		return cmd_add(c, argc - 1, argv + 1);
	if (strcmp(verb, "add-member") == 0)
		return cmd_add_member(c, argc - 1, argv + 1);
	if (strcmp(verb, "list") == 0)
		return cmd_list(c, argc - 1, argv + 1);
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown group command \"%s\" (add,"
	    " add-member, list)", verb);
}
