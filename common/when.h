/*
 * when.h - the wall clock as the people at a branch read it: local dates
 * and times in the process's time zone.
 *
 * The zone is glibc's: $TZ when set, else /etc/localtime (UTC when neither
 * names one).  kt_when_zone_use() sets $TZ for the whole process, so a node
 * whose `timezone` setting names a zone reads every date and time in it.
 * Nothing here keeps state of its own; what localtime_r() reads is the one
 * process-wide zone.
 */
#ifndef KT_WHEN_H
#define KT_WHEN_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* Longest zone name we accept ("America/Argentina/ComodRivadavia" is 32). */
#define KT_ZONE_BYTES_MAX 64

/* Where the IANA zone files are (Debian's tzdata). */
#define KT_ZONE_DIR "/usr/share/zoneinfo"

/*
 * The local date at Unix second t: days since 1970-01-01 of the calendar
 * day the branch's clocks show then (09:30 on 25 November in Vladivostok is
 * 00:30 UTC, the same day, not the 24th).
 */
int32_t kt_when_day(int64_t t);

/*
 * Unix second t as local time for people, into out (cap bytes, at least
 * 40): "2026-11-25 09:30:00 MSK (UTC+03:00)" when the zone's abbreviation
 * is a word, "2026-11-25 09:30:00 UTC+10:00" when it is only an offset (as
 * tzdata writes Vladivostok's "+10"), "2026-11-25 00:30:00 UTC" in UTC.
 */
void kt_when_text(int64_t t, char *out, size_t cap);

/*
 * Whether name is an IANA zone this machine has: letters, digits and
 * "/_+-" only, no "." (so no "../"), not starting with "/", at most
 * KT_ZONE_BYTES_MAX bytes, and a zone file (starting "TZif") at
 * KT_ZONE_DIR/name.  0, or KT_EINVAL with err saying why.
 */
int kt_when_zone_check(const char *name, struct kt_err *err);

/*
 * Makes zone name (checked with kt_when_zone_check) the process's zone:
 * sets $TZ and calls tzset().  "" keeps the zone the process started with.
 * Returns kt_when_zone_check()'s code; the zone is unchanged on error.
 */
int kt_when_zone_use(const char *name, struct kt_err *err);

#endif
