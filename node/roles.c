/*
 * roles.c - the role table (roles.h).  Changing a right here changes it
 * everywhere: every command asks this table, and tests/unit/test_roles.c
 * holds each row to the README's table.
 */
#include "roles.h"
#include "proto/schema.h"

#include <stdio.h>
#include <string.h>

#define CARD KT_P_CARD
#define FRONT (KT_P_CONTACTS | KT_P_SAFETY | KT_P_VISITS | KT_P_FEEDBACK | KT_P_LOYALTY)
#define WRITE_FRONT (KT_P_CONTACTS | KT_P_SAFETY | KT_P_VISITS | KT_P_FEEDBACK | KT_P_LOYALTY)
#define LIST (KT_P_CATALOGUE) /* every role reads the catalogue: the safety check does */

static const struct {
	const char *name;
	struct kt_rights r;
} table[KT_ROLE_MAX + 1] = {
	[KT_ROLE_RECEPTION] = { "reception", { FRONT | LIST, WRITE_FRONT, KT_CAN_FIND } },
	[KT_ROLE_COSMETOLOGIST] = { "cosmetologist", { CARD | LIST, CARD, KT_CAN_FIND } },
	[KT_ROLE_MANAGER] = { "manager",
			      { CARD | LIST | KT_P_STAFF | KT_P_AUDIT, CARD | KT_P_CATALOGUE | KT_P_STAFF,
				KT_CAN_FIND | KT_CAN_REPORT | KT_CAN_EXPORT | KT_CAN_IMPORT |
				KT_CAN_REVIEW | KT_CAN_STAFF | KT_CAN_AUDIT | KT_CAN_ERASE |
				KT_CAN_DOSSIER | KT_CAN_CATALOGUE | KT_CAN_NODE } },
	[KT_ROLE_HEAD_OFFICE] = { "head_office",
				  { LIST | KT_P_STAFF | KT_P_AUDIT, KT_P_CATALOGUE | KT_P_STAFF,
				    KT_CAN_REPORT | KT_CAN_STAFF | KT_CAN_AUDIT | KT_CAN_CATALOGUE |
				    KT_CAN_NODE | KT_CAN_CHAIN } },
};

const char *kt_role_name(int role)
{
	return role >= 1 && role <= KT_ROLE_MAX ? table[role].name : NULL;
}

int kt_role_parse(const char *word)
{
	for (int r = 1; r <= KT_ROLE_MAX; r++)
		if (strcmp(word, table[r].name) == 0)
			return r;
	return 0;
}

struct kt_rights kt_role_rights(int role, int granted)
{
	struct kt_rights none = { 0, 0, 0 }, r;

	if (role < 1 || role > KT_ROLE_MAX)
		return none;
	r = table[role].r;
	if (role == KT_ROLE_HEAD_OFFICE && granted) {
		/* A grant: the card as a cosmetologist reads and writes it, and find. */
		r.reads |= table[KT_ROLE_COSMETOLOGIST].r.reads;
		r.writes |= table[KT_ROLE_COSMETOLOGIST].r.writes;
		r.can |= table[KT_ROLE_COSMETOLOGIST].r.can;
	}
	return r;
}

char *kt_role_who(int part_mask, int write, int can, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (int role = 1; role <= KT_ROLE_MAX; role++) {
		struct kt_rights r = kt_role_rights(role, 0);
		int parts = write ? r.writes : r.reads;
		int grant = 0;

		if ((parts & part_mask) != part_mask || (r.can & can) != can) {
			struct kt_rights g = kt_role_rights(role, 1);

			parts = write ? g.writes : g.reads;
			if ((parts & part_mask) != part_mask || (g.can & can) != can)
				continue;
			grant = 1;
		}
		if (n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s%s", n ? ", " : "",
					      table[role].name, grant ? " with a grant" : "");
	}
	if (n == 0)
		snprintf(out, cap, "no role");
	return out;
}
