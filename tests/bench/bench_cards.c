/*
 * bench_cards.c - the cards `make bench` writes, each made from its number
 * alone (card_make), and the queries a receptionist would type for one, so
 * a query can be rebuilt for any card and its answer checked.
 */
#include "bench.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Tries to draw a card whose surname has 3+ characters (9 in 10 have). */
#define DRAW_TRIES_MAX 64

/* ---- generated cards: every field follows from the card's number ---- */

struct nm {
	const char *text, *latin;
};

static const struct nm ru_f[] = {
	{ "Анна", "anna" }, { "Мария", "maria" }, { "Елена", "elena" }, { "Ольга", "olga" },
	{ "Наталья", "natalia" }, { "Татьяна", "tatiana" }, { "Ирина", "irina" },
	{ "Екатерина", "ekaterina" }, { "Светлана", "svetlana" }, { "Юлия", "yulia" },
	{ "Дарья", "daria" }, { "Алёна", "alena" }, { "Ксения", "ksenia" }, { "Полина", "polina" },
};
static const struct nm ru_m[] = {
	{ "Александр", "alexandr" }, { "Сергей", "sergey" }, { "Дмитрий", "dmitry" },
	{ "Андрей", "andrey" }, { "Алексей", "alexey" }, { "Игорь", "igor" },
};
static const char *ru_pat_f[] = { "Сергеевна", "Александровна", "Дмитриевна", "Андреевна",
				  "Игоревна", "Владимировна", "Олеговна", "Викторовна" };
static const char *ru_pat_m[] = { "Сергеевич", "Александрович", "Дмитриевич", "Андреевич" };
/* Male forms; ru_surname() makes the female ones. */
static const char *ru_sur[] = {
	"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
	"Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
	"Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
	"Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов",
	"Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв",
	"Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв",
	"Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров",
	"Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов",
	"Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов",
	"Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев",
	"Фомин", "Чернов", "Абрамов", "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров",
	"Калинин", "Исаев", "Чернышёв", "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев",
	"Воронин", "Климов", "Филатов", "Пономарёв", "Голубев", "Кудрявцев", "Прохоров",
	"Наумов", "Потапов", "Журавлёв", "Овчинников", "Трофимов", "Леонов", "Соболев",
	"Ермаков", "Колесников", "Гончаров", "Емельянов", "Никифоров", "Грачёв", "Котов",
	"Гришин", "Ефремов", "Архипов", "Громов", "Кириллов", "Малышев", "Панов", "Моисеев",
	"Румянцев", "Акимов", "Кондратьев", "Бирюков", "Горбунов", "Анисимов", "Тихомиров",
	"Галкин", "Лукьянов", "Михеев", "Скворцов", "Юдин", "Белоусов", "Нестеров", "Симонов",
	"Харитонов", "Князев", "Цветков", "Левин", "Воронов", "Аксёнов", "Мальцев", "Логинов",
	"Горшков", "Савин", "Краснов", "Майоров", "Демидов", "Елисеев", "Рыбаков", "Сафонов",
	"Плотников", "Хохлов", "Жданов", "Бобров", "Шевченко", "Коваленко", "Бондаренко",
	"Ткаченко", "Кравченко", "Олейник", "Мельник", "Литвиненко", "Руденко", "Савченко",
	"Островский", "Вишневский", "Завадский", "Покровский", "Ковальский",
};
static const struct nm ro_f[] = {
	{ "Ioana", "ioana" }, { "Maria", "maria" }, { "Andreea", "andreea" }, { "Elena", "elena" },
	{ "Ștefania", "stefania" }, { "Mihaela", "mihaela" }, { "Alexandra", "alexandra" },
	{ "Cristina", "cristina" }, { "Gabriela", "gabriela" }, { "Raluca", "raluca" },
	{ "Ana", "ana" }, { "Irina", "irina" }, { "Ion", "ion" }, { "Mihai", "mihai" },
	{ "Andrei", "andrei" }, { "Ștefan", "stefan" },
};
static const char *ro_sur[] = {
	"Popescu", "Ionescu", "Popa", "Radu", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei",
	"Ciobanu", "Rusu", "Munteanu", "Ursu", "Constantin", "Marin", "Lungu", "Ungureanu",
	"Moldovan", "Sârbu", "Țurcanu", "Bălan", "Căpraru", "Ștefănescu", "Dumitrescu",
	"Florea", "Dobre", "Nistor", "Barbu", "Tudor", "Cojocaru", "Stanciu", "Neagu", "Lazăr",
	"Olteanu", "Rădulescu", "Diaconu", "Vasilescu", "Georgescu", "Toma", "Oprea", "Cristea",
	"Zamfir", "Mocanu", "Nedelcu", "Chiriac", "Ilie", "Enache", "Dinu", "Crăciun",
	"Grigore", "Manea", "Roman", "Voicu", "Preda", "Anghel", "Bogdan", "Surdu", "Țăranu",
	"Ceban", "Rotaru", "Rusnac", "Cebotari", "Botnaru", "Guțu", "Sandu", "Grosu", "Lupu",
	"Bejan", "Cazacu", "Bivol", "Croitoru", "Moraru", "Josan", "Pîrlog", "Vrabie",
};
static const struct nm zh_sur[] = {
	{ "王", "Wang" }, { "李", "Li" }, { "张", "Zhang" }, { "刘", "Liu" }, { "陈", "Chen" },
	{ "杨", "Yang" }, { "黄", "Huang" }, { "赵", "Zhao" }, { "吴", "Wu" }, { "周", "Zhou" },
	{ "徐", "Xu" }, { "孙", "Sun" }, { "马", "Ma" }, { "朱", "Zhu" }, { "胡", "Hu" },
	{ "郭", "Guo" }, { "林", "Lin" }, { "罗", "Luo" }, { "高", "Gao" }, { "欧阳", "Ouyang" },
};
static const struct nm zh_given[] = {
	{ "伟", "wei" }, { "芳", "fang" }, { "娜", "na" }, { "秀英", "xiuying" }, { "敏", "min" },
	{ "静", "jing" }, { "丽", "li" }, { "强", "qiang" }, { "磊", "lei" }, { "洋", "yang" },
	{ "小明", "xiaoming" }, { "晓燕", "xiaoyan" }, { "婷", "ting" }, { "雪", "xue" },
	{ "慧", "hui" }, { "玉兰", "yulan" },
};
static const char *domains[] = { "mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru",
				 "list.ru", "yahoo.com", "qq.com", "163.com", "icloud.com" };

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Иванов -> Иванова, Островский -> Островская, Шевченко stays. */
static void ru_surname(const char *m, int female, char *out, size_t cap)
{
	size_t n = strlen(m);

	if (female && ends_with(m, "ий"))
		snprintf(out, cap, "%.*sая", (int)(n - strlen("ий")), m);
	else if (female && (ends_with(m, "ов") || ends_with(m, "ев") || ends_with(m, "ёв") ||
			    ends_with(m, "ин")))
		snprintf(out, cap, "%sа", m);
	else
		snprintf(out, cap, "%s", m);
}

/* Russian: 85% women; "Анна Иванова", "Иванова Анна Сергеевна" or "Иванова Анна". */
static void ru_card(uint64_t h, struct card *c)
{
	int female = (h >> 8) % 100 < 85;
	const struct nm *f = female ? &ru_f[(h >> 16) % N_OF(ru_f)] : &ru_m[(h >> 16) % N_OF(ru_m)];
	const char *pat = female ? ru_pat_f[(h >> 24) % N_OF(ru_pat_f)]
				 : ru_pat_m[(h >> 24) % N_OF(ru_pat_m)];

	ru_surname(ru_sur[(h >> 32) % N_OF(ru_sur)], female, c->sur, sizeof(c->sur));
	snprintf(c->first, sizeof(c->first), "%s", f->text);
	c->latin = f->latin;
	switch ((h >> 48) % 3) {
	case 0:
		snprintf(c->name, sizeof(c->name), "%s %s", c->first, c->sur);
		break;
	case 1:
		snprintf(c->name, sizeof(c->name), "%s %s %s", c->sur, c->first, pat);
		break;
	default:
		snprintf(c->name, sizeof(c->name), "%s %s", c->sur, c->first);
		break;
	}
}

static void ro_card(uint64_t h, struct card *c)
{
	const struct nm *f = &ro_f[(h >> 16) % N_OF(ro_f)];

	snprintf(c->sur, sizeof(c->sur), "%s", ro_sur[(h >> 32) % N_OF(ro_sur)]);
	snprintf(c->first, sizeof(c->first), "%s", f->text);
	c->latin = f->latin;
	if ((h >> 48) % 2)
		snprintf(c->name, sizeof(c->name), "%s %s", c->first, c->sur);
	else
		snprintf(c->name, sizeof(c->name), "%s %s", c->sur, c->first);
}

/* Chinese: half in characters ("王小明"), half in pinyin ("Wang Xiaoming"). */
static void zh_card(uint64_t h, struct card *c)
{
	const struct nm *s = &zh_sur[(h >> 32) % N_OF(zh_sur)];
	const struct nm *g = &zh_given[(h >> 16) % N_OF(zh_given)];

	c->latin = g->latin;
	if ((h >> 48) % 2) {
		snprintf(c->sur, sizeof(c->sur), "%s", s->text);
		snprintf(c->first, sizeof(c->first), "%s", g->text);
		snprintf(c->name, sizeof(c->name), "%s%s", c->sur, c->first);
	} else {
		snprintf(c->sur, sizeof(c->sur), "%s", s->latin);
		snprintf(c->first, sizeof(c->first), "%c%s", toupper((unsigned char)g->latin[0]),
			 g->latin + 1);
		snprintf(c->name, sizeof(c->name), "%s %s", c->sur, c->first);
	}
}

/*
 * The phone's 9 free digits: k times an odd multiplier not divisible by 5
 * is a bijection modulo 10^9, so every card below 10^9 has its own number.
 */
static uint64_t phone_digits(uint64_t k)
{
	return (k * 2654435761ull + 104729ull) % 1000000000ull;
}

static void base36(uint64_t v, char *out, size_t cap)
{
	char tmp[16];
	size_t n = 0, i;

	do { /* at most 13 digits for a u64 */
		tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while (v != 0 && n < sizeof(tmp));
	for (i = 0; i < n && i + 1 < cap; i++)
		out[i] = tmp[n - 1 - i];
	out[i] = '\0';
}

/* Card k: 60% Russian, 30% Romanian/Moldovan, 10% Chinese names. */
void card_make(uint64_t k, struct card *c)
{
	uint64_t h = mix(k), p = phone_digits(k);
	char tail[16];

	if (h % 10 < 6)
		ru_card(h, c);
	else if (h % 10 < 9)
		ro_card(h, c);
	else
		zh_card(h, c);
	snprintf(c->phone, sizeof(c->phone), "+7 9%02u %03u %02u %02u",
		 (unsigned)(p / 10000000), (unsigned)(p / 10000 % 1000),
		 (unsigned)(p / 100 % 100), (unsigned)(p % 100));
	base36(k, tail, sizeof(tail));
	snprintf(c->email, sizeof(c->email), "%s.%s@%s", c->latin, tail,
		 domains[(h >> 56) % N_OF(domains)]);
}

/* ---- queries ---- */

const char *qkind_name[Q_KINDS] = { "name", "phone", "email" };

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Bytes of the first `chars` code points of s. */
static int utf8_prefix(const char *s, size_t chars)
{
	size_t i = 0, seen = 0;

	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && seen++ == chars)
			break;
	return (int)i;
}

/* A random card below n whose surname has 3 or more characters. */
uint64_t draw_named(uint64_t n, struct card *c)
{
	uint64_t k = 0;

	for (int t = 0; t < DRAW_TRIES_MAX; t++) {
		k = rnd() % n;
		card_make(k, c);
		if (utf8_chars(c->sur) >= 3)
			break;
	}
	return k;
}

/* A surname prefix of 3-5 characters, as a receptionist types it. */
void query_name(const struct card *c, char *out, size_t cap)
{
	size_t len = 3 + rnd() % 3;

	snprintf(out, cap, "%.*s", utf8_prefix(c->sur, len), c->sur);
}

/* The card's phone as typed another way: "8 (9xx) xxx-xx-xx" and others. */
void query_phone(uint64_t k, int way, char *out, size_t cap)
{
	uint64_t p = phone_digits(k);
	unsigned a = (unsigned)(p / 10000000), b = (unsigned)(p / 10000 % 1000);
	unsigned c = (unsigned)(p / 100 % 100), d = (unsigned)(p % 100);

	switch (way % 3) {
	case 0:
		snprintf(out, cap, "8 (9%02u) %03u-%02u-%02u", a, b, c, d);
		break;
	case 1:
		snprintf(out, cap, "89%02u%03u%02u%02u", a, b, c, d);
		break;
	default:
		snprintf(out, cap, "+7-9%02u-%03u-%02u%02u", a, b, c, d);
		break;
	}
}

/* The card's email, upper-cased half of the time. */
void query_email(const struct card *c, int upper, char *out, size_t cap)
{
	size_t i;

	snprintf(out, cap, "%s", c->email);
	for (i = 0; upper && out[i]; i++)
		out[i] = (char)toupper((unsigned char)out[i]);
}
