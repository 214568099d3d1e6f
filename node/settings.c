/* settings.c - the settings table and its loading (see settings.h). */
#include "settings.h"
#include "phone.h"
#include "safety.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT(f) KT_SETTING_TEXT, 0, 0, offsetof(struct kt_settings, f)
#define NUMBER(f, lo, hi) KT_SETTING_NUMBER, lo, hi, offsetof(struct kt_settings, f)
#define QUOTE(x) #x
#define DIGITS(x) QUOTE(x)

const struct kt_setting_def kt_settings_table[] = {
	{ "country", KT_PHONE_REGION_DEFAULT, "default country of phone numbers (ISO code)",
	  "default country of phone numbers", TEXT(country) },
	{ "currency", "RUB", "currency of visit amounts", "currency of visit amounts",
	  TEXT(currency) },
	{ "segment_regular_months", "6", "regular: a visit in each of the last N months",
	  "regular: a visit in each of the last N months",
	  NUMBER(segment_regular_months, 1, 24) },
	{ "segment_lost_months", "2", "lost: no visit for more than N months",
	  "lost: no visit for more than N months", NUMBER(segment_lost_months, 1, 60) },
	{ "patch_test_months", DIGITS(KT_SAFETY_PATCH_MONTHS), "a patch test is valid for N months",
	  "a patch test is valid for N months", NUMBER(patch_test_months, 1, 60) },
	{ "patch_test_services", "", "(moved to the catalogue) a value set before is "
	  "still honoured", NULL, TEXT(patch_test_services) },
	{ "birthday_days", "7", "days ahead `birthdays` looks by default",
	  "days ahead `birthdays` looks", NUMBER(birthday_days, 0, 366) },
	{ "timezone", "", "the branch's time zone (IANA name); empty: the system's",
	  "the branch's time zone, an IANA name such as\n"
	  "                          Asia/Vladivostok (empty: the system's zone, $TZ);\n"
	  "                          today, visits, birthdays, segments, report months\n"
	  "                          and the times printed follow it", TEXT(timezone) },
	{ "key_file", "", "where the key file the node's keys are sealed under is",
	  "the key file the node's keys are sealed under\n"
	  "                          (seal-keys sets it; a USB stick's path)", TEXT(key_file) },
};
const size_t kt_settings_count = sizeof(kt_settings_table) / sizeof(kt_settings_table[0]);

/* A number's text this long or longer is read as the default (it always was). */
#define NUMBER_TEXT_BYTES 16

const struct kt_setting_def *kt_settings_find(const char *name)
{
	for (size_t i = 0; i < kt_settings_count; i++)
		if (strcmp(kt_settings_table[i].name, name) == 0)
			return &kt_settings_table[i];
	return NULL;
}

/* Row s of *out from text (the stored value, or NULL for none). */
static void put(struct kt_settings *out, const struct kt_setting_def *s, const char *text)
{
	char *field = (char *)out + s->off;

	if (s->kind == KT_SETTING_NUMBER) {
		if (text == NULL || strlen(text) >= NUMBER_TEXT_BYTES)
			text = s->def;
		*(int *)(void *)field = atoi(text);
	} else {
		snprintf(field, KT_SETTING_BYTES_MAX, "%s", text ? text : s->def);
	}
}

void kt_settings_defaults(struct kt_settings *out)
{
	for (size_t i = 0; i < kt_settings_count; i++)
		put(out, &kt_settings_table[i], NULL);
}

void kt_settings_load(struct kt_store *st, MDB_txn *txn, struct kt_settings *out)
{
	MDB_txn *own = NULL;
	char text[KT_SETTING_BYTES_MAX];

	kt_settings_defaults(out);
	if (txn == NULL && kt_store_rdtxn(st, &own, NULL) != 0)
		return;
	for (size_t i = 0; i < kt_settings_count; i++)
		if (kt_store_setting(st, txn ? txn : own, kt_settings_table[i].name, text,
				     sizeof(text)) == 0)
			put(out, &kt_settings_table[i], text);
	if (own != NULL)
		mdb_txn_abort(own);
}

void kt_settings_text(struct kt_store *st, MDB_txn *txn, const struct kt_setting_def *s,
		      char out[KT_SETTING_BYTES_MAX])
{
	MDB_txn *own = NULL;

	snprintf(out, KT_SETTING_BYTES_MAX, "%s", s->def);
	if (txn == NULL && kt_store_rdtxn(st, &own, NULL) != 0)
		return;
	if (kt_store_setting(st, txn ? txn : own, s->name, out, KT_SETTING_BYTES_MAX) != 0)
		snprintf(out, KT_SETTING_BYTES_MAX, "%s", s->def);
	if (own != NULL)
		mdb_txn_abort(own);
}
