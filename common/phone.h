/*
 * phone.h - phone numbers to E.164, a C interface over Google's
 * libphonenumber (phone.cc is the C++ shim; nothing else sees C++).
 *
 * "+7 (912) 345-67-89" and "8 912 345 67 89" under region "RU" are both
 * "+79123456789"; "0721 234 567" under "RO" is "+40721234567".  A number
 * that libphonenumber cannot parse, or that is not a possible number for its
 * region, is kept as typed by the caller and searched by its digits.
 */
#ifndef KT_PHONE_H
#define KT_PHONE_H

#include <stddef.h>

/* Room for "+" and 15 digits (E.164's maximum) and the NUL, with margin. */
#define KT_PHONE_BYTES 32
/* Longest phone text we try to parse. */
#define KT_PHONE_TEXT_MAX 64

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parses text under the default region (ISO 3166-1 alpha-2, "RU", "RO",
 * "CN") and writes E.164 ("+79123456789") to out.  Returns 0, or -1 when
 * the text does not parse or is not a possible number (out is then "").
 * Thread-safe; never throws.
 */
int kt_phone_e164(const char *text, const char *region, char out[KT_PHONE_BYTES]);

/*
 * Writes the ASCII digits of text, in order, to out (at most outsz-1 of
 * them, NUL-terminated) and returns how many it wrote.
 */
size_t kt_phone_digits(const char *text, char *out, size_t outsz);

/*
 * The start of a number typed in national form, as the start of its E.164
 * digits: the region's country code, then digits without the region's
 * trunk prefix ("8912" under "RU" is "7912", "0721" under "RO" is "40721"),
 * so a few digits typed as staff dial them find the numbers they begin.
 * Writes out (NUL-terminated, outsz bytes); 0, or -1 for an unknown
 * region or no room.
 */
int kt_phone_national_prefix(const char *digits, const char *region, char *out, size_t outsz);

/*
 * Whether e164 ("+40721234567") is what text ("0721 234 567", ASCII as
 * kt_text_phone_ascii gives) reads as in the country e164 belongs to: 1 or
 * 0.  The store keeps a phone's copy from elsewhere (an import) only when
 * it is (store/write.c).
 */
int kt_phone_is_reading(const char *text, const char *e164);

/*
 * The region phones are read in when a node names none: the chain this
 * was started for is Russian (../shared/seeds).  The node's "country"
 * setting (node/settings.c) and the store's fallback both take it.
 */
#define KT_PHONE_REGION_DEFAULT "RU"

/* Returns 1 when region is a region libphonenumber knows ("RU"), else 0. */
int kt_phone_region_known(const char *region);

#ifdef __cplusplus
}
#endif

#endif
