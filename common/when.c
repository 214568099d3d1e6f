/* when.c - local dates and times in the process's time zone (see when.h). */
#include "when.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int32_t kt_when_day(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int64_t local;

	if (localtime_r(&tt, &tm) == NULL)
		local = t;
	else
		local = t + tm.tm_gmtoff; /* seconds of the local clock since its 1970 */
	return (int32_t)(local >= 0 ? local / 86400 : -((-local + 86399) / 86400));
}

void kt_when_text(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char day[24], off[32];
	long g;
	int word = 0;

	if (cap == 0)
		return;
	if (localtime_r(&tt, &tm) == NULL) {
		snprintf(out, cap, "%lld (Unix seconds)", (long long)t);
		return;
	}
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	g = tm.tm_gmtoff;
	g = g < -86400 || g > 86400 ? 0 : g; /* a zone is within a day of UTC */
	snprintf(off, sizeof(off), "UTC%c%02d:%02d", g < 0 ? '-' : '+', (int)(labs(g) / 3600),
		 (int)(labs(g) % 3600 / 60));
	for (const char *z = tm.tm_zone; z != NULL && *z; z++)
		word = (*z >= 'A' && *z <= 'Z') || (*z >= 'a' && *z <= 'z') ? 1 : word;
	if (word && g == 0 && strcmp(tm.tm_zone, "UTC") == 0)
		snprintf(out, cap, "%s UTC", day);
	else if (word)
		snprintf(out, cap, "%s %s (%s)", day, tm.tm_zone, off);
	else
		snprintf(out, cap, "%s %s", day, off);
}

int kt_when_zone_check(const char *name, struct kt_err *err)
{
	char path[sizeof(KT_ZONE_DIR) + KT_ZONE_BYTES_MAX + 2], magic[4];
	size_t n = strlen(name);
	FILE *f;
	int ok;

	if (n == 0 || n > KT_ZONE_BYTES_MAX || name[0] == '/' ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n)
		return kt_err_set(err, KT_EINVAL, "unknown time zone '%s' (want a name like "
				  "Asia/Vladivostok or Europe/Chisinau)", name);
	snprintf(path, sizeof(path), "%s/%s", KT_ZONE_DIR, name);
	f = fopen(path, "rb");
	ok = f != NULL && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	if (f != NULL)
		fclose(f);
	if (!ok)
		return kt_err_set(err, KT_EINVAL, "unknown time zone '%s' (no zone of that name "
				  "in %s; want a name like Asia/Vladivostok)", name, KT_ZONE_DIR);
	return 0;
}

int kt_when_zone_use(const char *name, struct kt_err *err)
{
	int rc;

	if (name[0] == '\0')
		return 0;
	if ((rc = kt_when_zone_check(name, err)) != 0)
		return rc;
	setenv("TZ", name, 1);
	tzset();
	return 0;
}
