/*
 * gen_han.cc - writes common/han_table.h: each Traditional Chinese character
 * and the Simplified one that ICU's "Traditional-Simplified" transliterator
 * (Debian's libicu, from CLDR's Hant-Hans rules) writes for it alone.
 *
 * Search folds a Han character through this table (common/text.c), so 張偉
 * and 张伟 are one name.  Only one-to-one mappings of single characters are
 * kept: a name is searched character by character, and a character whose
 * simplification depends on the phrase is left as it is.
 *
 * Built as build/tests/test_han_table: with --print it prints the table
 * (`make han-table` writes common/han_table.h with it); without, it checks
 * that the committed table is what it would print and says so in an
 * "ok -" or "not ok -" line, so an ICU upgrade that changes it is seen.
 */
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unicode/translit.h>
#include <unicode/unistr.h>

static bool han(UChar32 c)
{
	return (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
	       (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x3134f);
}

int main(int argc, char **argv)
{
	UErrorCode e = U_ZERO_ERROR;
	std::unique_ptr<icu::Transliterator> t(
		icu::Transliterator::createInstance("Traditional-Simplified", UTRANS_FORWARD, e));
	std::ostringstream out;
	char line[96];
	int n = 0;

	if (U_FAILURE(e) || !t) {
		std::printf("not ok - ICU has no Traditional-Simplified transliterator: %s\n",
			    u_errorName(e));
		return 1;
	}
	out << "/* han_table.h - made by tests/tools/gen_han.cc from ICU " U_ICU_VERSION
	       "; do not edit. */\n"
	       "/* Traditional Han character, its Simplified form; sorted by the first. */\n"
	       "static const uint32_t han_simplified[][2] = {\n";
	for (UChar32 c = 0x3400; c <= 0x3134f; c++) {
		if (!han(c))
			continue;
		icu::UnicodeString u(c);

		t->transliterate(u);
		if (u.countChar32() != 1 || u.char32At(0) == c || !han(u.char32At(0)))
			continue;
		std::snprintf(line, sizeof(line), "\t{ 0x%x, 0x%x },\n", (unsigned)c,
			      (unsigned)u.char32At(0));
		out << line;
		n++;
	}
	out << "};\n";
	if (argc > 1 && std::strcmp(argv[1], "--print") == 0) {
		std::fputs(out.str().c_str(), stdout);
		std::fprintf(stderr, "gen_han: %d characters\n", n);
		return 0;
	}
	std::ifstream f("common/han_table.h");
	std::stringstream have;
	have << f.rdbuf();
	if (have.str() == out.str()) {
		std::printf("ok - common/han_table.h is what ICU %s makes (%d characters)\n",
			    U_ICU_VERSION, n);
		return 0;
	}
	std::printf("not ok - common/han_table.h differs from what ICU %s makes: run make "
		    "han-table\n", U_ICU_VERSION);
	return 1;
}
