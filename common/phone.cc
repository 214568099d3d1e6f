/*
 * phone.cc - the C shim over libphonenumber (see phone.h).  Nothing here
 * throws past the C boundary.
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

		if (text == nullptr || region == nullptr || std::strlen(text) > KT_PHONE_TEXT_MAX)
			return -1;
		if (u->Parse(text, region, &n) != PhoneNumberUtil::NO_PARSING_ERROR)
			return -1;
		if (!u->IsPossibleNumber(n))
			return -1;
		u->Format(n, PhoneNumberUtil::E164, &e164);
		if (e164.size() + 1 > KT_PHONE_BYTES)
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
	for (; text != nullptr && *text && n + 1 < outsz; text++)
		if (*text >= '0' && *text <= '9')
			out[n++] = *text;
	out[n] = '\0';
	return n;
}

extern "C" int kt_phone_region_known(const char *region)
{
	try {
		std::set<std::string> regions;

		if (region == nullptr || std::strlen(region) != 2)
			return 0;
		PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
		return regions.count(region) ? 1 : 0;
	} catch (...) {
		return 0;
	}
}
