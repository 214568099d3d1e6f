/*
 * phone.cc - the C shim over libphonenumber (see phone.h).  Every function
 * here is extern "C" and catches everything, so no exception crosses into C.
 *
 * Regions are case-sensitive, as in libphonenumber: "RU" is known, "ru" is
 * not (kt_phone_region_known() says 0, and the CLI refuses it as a country).
 * Under a region libphonenumber does not know, kt_phone_e164() still takes
 * a number written in international form ("+7 912 ...") and refuses a
 * national one ("8 912 ..."), which is libphonenumber's own behaviour.
 *
 * libphonenumber checks that text is UTF-8 itself (it refuses it otherwise),
 * and PhoneNumberUtil is a thread-safe singleton whose methods are const.
 */
#include "phone.h"

#include <cstring>
#include <set>
#include <string>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" int kt_phone_e164(const char *text, const char *region, char out[KT_PHONE_BYTES])
{
	out[0] = '\0';
	try {
		const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
		PhoneNumber n;
		std::string e164;

		/* strnlen: text longer than the limit is refused unread. */
		if (text == nullptr || region == nullptr ||
		    strnlen(text, KT_PHONE_TEXT_MAX + 1) > KT_PHONE_TEXT_MAX)
			return -1;
		if (u->Parse(text, region, &n) != PhoneNumberUtil::NO_PARSING_ERROR)
			return -1;
		if (!u->IsPossibleNumber(n))
			return -1;
		u->Format(n, PhoneNumberUtil::E164, &e164);
		if (e164.empty() || e164.size() + 1 > KT_PHONE_BYTES)
			return -1;
		std::memcpy(out, e164.c_str(), e164.size() + 1);
		return 0;
	} catch (...) {
		out[0] = '\0';
		return -1;
	}
}

extern "C" size_t kt_phone_digits(const char *text, char *out, size_t outsz)
{
	size_t n = 0;

	if (outsz == 0)
		return 0;
	/* Only ASCII digits: the index keys and the queries are built the same way. */
	for (; text != nullptr && *text != '\0' && n + 1 < outsz; text++)
		if (*text >= '0' && *text <= '9')
			out[n++] = *text;
	out[n] = '\0';
	return n;
}

/*
 * The supported regions, read once: the set is built on first use under
 * C++11's thread-safe static initialisation.  If building it throws, the
 * caller's catch answers 0 and the next call tries again.
 */
static const std::set<std::string> &supported_regions()
{
	static const std::set<std::string> regions = [] {
		std::set<std::string> r;

		PhoneNumberUtil::GetInstance()->GetSupportedRegions(&r);
		return r;
	}();
	return regions;
}

extern "C" int kt_phone_region_known(const char *region)
{
	try {
		if (region == nullptr || strnlen(region, 3) != 2)
			return 0;
		/* Uppercase ASCII only; the set holds "RU", never "ru". */
		for (int i = 0; i < 2; i++)
			if (region[i] < 'A' || region[i] > 'Z')
				return 0;
		return supported_regions().count(region) ? 1 : 0;
	} catch (...) {
		return 0;
	}
}

extern "C" int kt_phone_national_prefix(const char *digits, const char *region, char *out,
				       size_t outsz)
{
	if (outsz == 0)
		return -1;
	out[0] = '\0';
	try {
		const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
		std::string ndd, d = digits != nullptr ? digits : "";
		int cc;

		if (region == nullptr || d.empty() || (cc = u->GetCountryCodeForRegion(region)) == 0)
			return -1;
		u->GetNddPrefixForRegion(region, true, &ndd);
		if (!ndd.empty() && d.compare(0, ndd.size(), ndd) == 0)
			d.erase(0, ndd.size());
		d = std::to_string(cc) + d;
		if (d.size() + 1 > outsz)
			return -1;
		std::memcpy(out, d.c_str(), d.size() + 1);
		return 0;
	} catch (...) {
		out[0] = '\0';
		return -1;
	}
}

extern "C" int kt_phone_is_reading(const char *text, const char *e164)
{
	try {
		const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
		PhoneNumber n, m;
		std::string region, again;

		if (text == nullptr || e164 == nullptr ||
		    strnlen(text, KT_PHONE_TEXT_MAX + 1) > KT_PHONE_TEXT_MAX ||
		    u->Parse(e164, "ZZ", &n) != PhoneNumberUtil::NO_PARSING_ERROR)
			return 0;
		u->GetRegionCodeForNumber(n, &region);
		if (region.empty() || region == "ZZ")
			u->GetRegionCodeForCountryCode(n.country_code(), &region);
		if (u->Parse(text, region, &m) != PhoneNumberUtil::NO_PARSING_ERROR ||
		    !u->IsPossibleNumber(m))
			return 0;
		u->Format(m, PhoneNumberUtil::E164, &again);
		return again == e164;
	} catch (...) {
		return 0;
	}
}
