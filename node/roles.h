/*
 * roles.h - what each staff role may read, write and do: one table
 * (roles.c), which the README's Privacy section prints in words.
 *
 * A card is read and written in parts (proto/schema.h enum kt_part: the
 * schema says which part each field and record type is).  Besides parts,
 * a role may or may not run a kind of command (enum kt_can).  A head-office
 * account reads and writes no card part unless a manager granted it
 * cosmetologist-level access up to a day (staff field grant_until): then
 * it reads and writes as a cosmetologist does (kt_role_rights()).
 *
 * Source of the rules: the minimum (issue 15: reception sees
 * contacts, visits and the safety banner, not health notes, medications or
 * assessments; cosmetologists the whole card; managers also reports and
 * export; head office the chain's reports and the audit) and the salons'
 * guides in shared/seeds (only authorised staff see and change a card).
 */
#ifndef KT_ROLES_H
#define KT_ROLES_H

#include <stdint.h>
#include <stddef.h>

enum kt_role {
	KT_ROLE_RECEPTION = 1,
	KT_ROLE_COSMETOLOGIST,
	KT_ROLE_MANAGER,
	KT_ROLE_HEAD_OFFICE,
	KT_ROLE_MAX = KT_ROLE_HEAD_OFFICE,
};

/* Kinds of command beyond reading and writing card parts. */
enum kt_can {
	KT_CAN_FIND = 1 << 0,     /* client find and list, birthdays: names, phones, a badge */
	KT_CAN_REPORT = 1 << 1,   /* report */
	KT_CAN_EXPORT = 1 << 2,   /* export: every card */
	KT_CAN_IMPORT = 1 << 3,   /* import */
	KT_CAN_REVIEW = 1 << 4,   /* conflicts, duplicates, merge and unmerge */
	KT_CAN_STAFF = 1 << 5,    /* staff add, disable, grant; list */
	KT_CAN_AUDIT = 1 << 6,    /* audit */
	KT_CAN_ERASE = 1 << 7,    /* client erase */
	KT_CAN_DOSSIER = 1 << 8,  /* client dossier */
	KT_CAN_CATALOGUE = 1 << 9, /* catalog add, edit, import */
	KT_CAN_NODE = 1 << 10,    /* config set, join, invite, backup: the node itself */
	KT_CAN_CHAIN = 1 << 11,   /* staff of every branch (not only the account's own) */
};

struct kt_rights {
	int reads;  /* enum kt_part mask */
	int writes; /* enum kt_part mask */
	int can;    /* enum kt_can mask */
};

/* The role's word ("reception", ...), or NULL for one that is not a role. */
const char *kt_role_name(int role);
/* The role of a word as the schema's enum holds it; 0 when unknown. */
int kt_role_parse(const char *word);

/*
 * The rights of role, for an account granted card access (granted: head
 * office within grant_until) or not.  An unknown role has none.
 */
struct kt_rights kt_role_rights(int role, int granted);

/*
 * The roles that may read (write 0) or write (1) every part of mask, or
 * (mask 0) run every kind of can, as "cosmetologist, manager": what a
 * refusal line names.  Writes into out (cap bytes) and returns it; "no
 * role" when none may.
 */
char *kt_role_who(int part_mask, int write, int can, char *out, size_t cap);

#endif
