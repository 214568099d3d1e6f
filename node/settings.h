/*
 * settings.h - a node's settings (kt-node config) as one struct, and the
 * one table that names each setting with its default, kind and bounds.
 *
 * A setting is stored in the store's meta as "set:<name>" (store.h:
 * kt_store_setting); one that is not stored, or is too long for what reads
 * it, is its default.  Every reader takes struct kt_settings from
 * kt_settings_load(); no default is written anywhere but in the table.
 */
#ifndef KT_SETTINGS_H
#define KT_SETTINGS_H

#include <stddef.h>
#include "store.h"

enum kt_setting_kind {
	KT_SETTING_TEXT,   /* any UTF-8 text up to KT_SETTING_BYTES_MAX - 1 bytes */
	KT_SETTING_NUMBER  /* a whole number in [lo, hi], as config set checks it */
};

/* One row of the table: what `config` lists, and where the struct keeps it. */
struct kt_setting_def {
	const char *name, *def, *what; /* name, default, description (config --json) */
	const char *help;              /* its line of config's usage (NULL: none) */
	enum kt_setting_kind kind;
	int lo, hi;                    /* bounds of a number */
	size_t off;                    /* its field in struct kt_settings */
};

/*
 * The settings, as the rules read them.  A number is read as atoi() of its
 * stored text; a stored text of 16 bytes or more is its default (as it
 * always was).  Numbers are not clamped here: a rule that needs a bound
 * applies it (kt_salon_segment, KT_SAFETY_PATCH_MONTHS).
 */
struct kt_settings {
	char country[KT_SETTING_BYTES_MAX];   /* default country of phones, ISO code */
	char currency[KT_SETTING_BYTES_MAX];  /* currency of visit amounts */
	int segment_regular_months;           /* regular: a visit in each of the last N */
	int segment_lost_months;              /* lost: no visit for more than N months */
	int patch_test_months;                /* a passed patch test holds N months */
	char patch_test_services[KT_SETTING_BYTES_MAX]; /* legacy, ';'-separated */
	int birthday_days;                    /* days ahead `birthdays` looks */
	char timezone[KT_SETTING_BYTES_MAX];  /* IANA name; "" is the system's zone */
	char key_file[KT_SETTING_BYTES_MAX];  /* the sealed keys' key file (node/cmd_seal.c) */
};

/* The table, in the order `config list` prints it; kt_settings_count rows. */
extern const struct kt_setting_def kt_settings_table[];
extern const size_t kt_settings_count;

/* The row named name, or NULL. */
const struct kt_setting_def *kt_settings_find(const char *name);

/*
 * Fills *out from the store's settings inside txn (NULL: in a read
 * transaction of its own; when none can begin, every setting is its
 * default).  Never fails.
 */
void kt_settings_load(struct kt_store *st, MDB_txn *txn, struct kt_settings *out);

/* Fills *out with every default (a store that holds no setting). */
void kt_settings_defaults(struct kt_settings *out);

/*
 * The text of one setting as stored (the default when it is not) into
 * out[KT_SETTING_BYTES_MAX]: what `config get` prints, even for a number
 * the rules would read as its default.  txn as in kt_settings_load().
 */
void kt_settings_text(struct kt_store *st, MDB_txn *txn, const struct kt_setting_def *s,
		      char out[KT_SETTING_BYTES_MAX]);

#endif
