/*
 * bench.c - `make bench`: this machine's raw LMDB limits and Kartoteka's
 * figures, measured in one run, each of ours also as a ratio to the raw
 * figure it is bound by.  A benchmark, not a test: it asserts only that
 * every call succeeded and that searches find the cards they were made from.
 *
 *   bench [--quick]    --quick: 100k cards only, fewer iterations (~1 min);
 *                      default: the full run, up to 1M cards (several min)
 *
 * Sections, each timed as a phase:
 *   1. raw LMDB in fresh environments with the default (durable) flags:
 *      1 put per commit; 1,000 MDB_APPEND puts per commit; 1,000 random
 *      puts per commit into a growing database.
 *   2. our durable writes through kt_store_write(): one `client edit` per
 *      transaction; batches of KT_BATCH_MAX new client cards.
 *   3. kt_store_find() and kt_store_load() at 100k and 1M cards, with a read
 *      transaction per call (mdb_txn_begin + mdb_txn_abort, no renew).
 *   4. a whole `kt-node -d DIR client find SURNAME` process (posix_spawn).
 *   5. store bytes per client with 5 visits.
 *   6. the safety check at the chair (kt_safety_visit) in-process, on a
 *      merge group of three cards against a catalogue of CATALOGUE_ENTRIES
 *      entries, and its word match alone, by stems and by folds.
 * Progress goes to stderr while it runs; the report goes to stdout at the
 * end, then the same figures as one line "BENCH_JSON {...}".
 *
 * Stores live in one mkdtemp folder under $TMPDIR (or /tmp), removed at the
 * end, and also when a call fails or the run is interrupted (SIGINT/TERM).
 * Cards are generated from their number alone (card_make), so a query can
 * be rebuilt for any card and its answer checked.
 */
#include "store.h"
#include "safety.h"
#include "text.h"
#include "card.h"
#include "hlc.h"
#include "id.h"
#include "crypto.h"
#include "proto/limits.h"
#include "proto/schema.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Raw LMDB: the record shape of LIMITS.md, and a map no run can fill. */
#define RAW_KEY_BYTES 16
#define RAW_VALUE_BYTES 200
#define RAW_PUTS_PER_TXN 1000
#define RAW_MAP_BYTES (4ull << 30)

#define CARDS_SMALL 100000ull
#define CARDS_LARGE 1000000ull
#define SIZE_CLIENTS 10000ull
#define SIZE_VISITS_EACH 5
/* Tries to draw a card whose surname has 3+ characters (9 in 10 have). */
#define DRAW_TRIES_MAX 64
#define CATALOGUE_ENTRIES 200

/* How much each section does; --quick trades precision for time. */
struct plan {
	int raw_commits;       /* 1-put commits, at most ... */
	double raw_seconds;    /* ... or for this long */
	int append_batches, random_batches;
	int single_writes;
	int queries;           /* finds, and as many loads */
	int two_word_queries;  /* the extra multi-word case */
	int spawns;            /* kt-node processes */
};
static const struct plan plan_full = { 3000, 2.0, 200, 100, 2000, 2000, 300, 50 };
static const struct plan plan_quick = { 1000, 1.0, 50, 30, 500, 500, 100, 20 };
static const struct plan *P = &plan_full;

static int quick;
static char root[4096];   /* the temporary folder; "" until made */
static json_t *fig;       /* every figure, for the report and BENCH_JSON */
static json_t *phases;    /* seconds per phase, in run order */
static uint64_t phase_t0;
static volatile sig_atomic_t interrupted;

/* ---- failing, cleaning up, figures ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "bench: cannot remove '%s': %s\n", path, strerror(errno));
	return 0;
}

static void cleanup(void)
{
	if (root[0] == '\0')
		return;
	/* 64 fds: our tree is 3 levels deep. */
	if (nftw(root, rm_entry, 64, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "bench: cannot remove '%s': %s\n", root, strerror(errno));
	root[0] = '\0';
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	cleanup();
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Called once per batch or query: loops stop at the next step, then clean up. */
static void check_interrupt(void)
{
	if (interrupted)
		die("interrupted");
}

static void mdb_ok(int rc, const char *what)
{
	if (rc != 0)
		die("%s: %s", what, mdb_strerror(rc));
}

static void fset(const char *name, double v)
{
	json_object_set_new(fig, name, isfinite(v) ? json_real(v) : json_null());
}

static void fset_bool(const char *name, int v)
{
	json_object_set_new(fig, name, json_boolean(v));
}

/* A figure, or NAN when it was not measured (printed as "n/a"). */
static double fget(const char *name)
{
	json_t *j = json_object_get(fig, name);

	return json_is_number(j) ? json_number_value(j) : NAN;
}

static void phase_begin(const char *what)
{
	fprintf(stderr, "bench: %s ...\n", what);
	phase_t0 = kt_mono_ns();
}

static void phase_end(const char *name)
{
	double s = (double)(kt_mono_ns() - phase_t0) / 1e9;

	json_object_set_new(phases, name, json_real(s));
	fprintf(stderr, "bench:   (%s took %.1f s)\n", name, s);
}

/* ---- samples and percentiles ---- */

struct samples {
	uint64_t *v; /* ns */
	size_t n, cap;
	int sorted;
};

static void samples_init(struct samples *s, size_t cap)
{
	s->v = kt_malloc((cap ? cap : 1) * sizeof(uint64_t));
	s->n = 0;
	s->cap = cap;
	s->sorted = 0;
}

static void samples_release(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static void sample_add(struct samples *s, uint64_t ns)
{
	kt_assert(s->n < s->cap);
	s->v[s->n++] = ns;
	s->sorted = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (nearest rank) in µs; NAN with no samples. */
static double pct_us(struct samples *s, double p)
{
	size_t i;

	if (s->n == 0)
		return NAN;
	if (!s->sorted)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	s->sorted = 1;
	i = (size_t)ceil(p / 100.0 * (double)s->n);
	i = i > 0 ? i - 1 : 0;
	return (double)s->v[i < s->n ? i : s->n - 1] / 1e3;
}

/* Bytes this process has passed to write(2)-like calls (/proc/self/io wchar). */
static uint64_t io_wchar(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	unsigned long long v = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) /* 7 lines */
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static uint64_t mix(uint64_t x) /* splitmix64 */
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rng_state = 20261123;
static uint64_t rnd(void)
{
	return mix(rng_state++);
}

/* ---- 1. raw LMDB ---- */

static void raw_env(const char *name, MDB_env **env, MDB_dbi *dbi)
{
	char dir[4200];
	MDB_txn *txn;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	if (mkdir(dir, 0700) != 0)
		die("cannot make '%s': %s", dir, strerror(errno));
	mdb_ok(mdb_env_create(env), "mdb_env_create");
	mdb_ok(mdb_env_set_mapsize(*env, RAW_MAP_BYTES), "mdb_env_set_mapsize");
	mdb_ok(mdb_env_open(*env, dir, 0, 0600), "mdb_env_open (raw)"); /* 0: durable */
	mdb_ok(mdb_txn_begin(*env, NULL, 0, &txn), "mdb_txn_begin (raw)");
	mdb_ok(mdb_dbi_open(txn, NULL, 0, dbi), "mdb_dbi_open (raw)");
	mdb_ok(mdb_txn_commit(txn), "mdb_txn_commit (raw)");
}

static void rand_key(uint8_t k[RAW_KEY_BYTES])
{
	kt_be64_put(k, rnd());
	kt_be64_put(k + 8, rnd());
}

/* (a) One 16-byte key, 200-byte value per durable transaction. */
static void raw_single(void)
{
	uint8_t k[RAW_KEY_BYTES], v[RAW_VALUE_BYTES];
	uint64_t limit = (uint64_t)(P->raw_seconds * 1e9), t0, ns;
	struct samples commit, txl;
	MDB_env *env;
	MDB_dbi dbi;
	int i;

	raw_env("raw-single", &env, &dbi);
	samples_init(&commit, (size_t)P->raw_commits);
	samples_init(&txl, (size_t)P->raw_commits);
	memset(v, 'v', sizeof(v));
	t0 = kt_mono_ns();
	for (i = 0; i < P->raw_commits && kt_mono_ns() - t0 < limit; i++) {
		MDB_val key = { sizeof(k), k }, val = { sizeof(v), v };
		MDB_txn *txn;
		uint64_t t1, t2;

		check_interrupt();
		rand_key(k);
		t1 = kt_mono_ns();
		mdb_ok(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin (raw single)");
		mdb_ok(mdb_put(txn, dbi, &key, &val, 0), "mdb_put (raw single)");
		t2 = kt_mono_ns();
		mdb_ok(mdb_txn_commit(txn), "mdb_txn_commit (raw single)");
		ns = kt_mono_ns();
		sample_add(&commit, ns - t2);
		sample_add(&txl, ns - t1);
	}
	ns = kt_mono_ns() - t0;
	fset("raw_commits_n", i);
	fset("raw_commits_per_s", i / (ns / 1e9));
	fset("raw_commit_p50_us", pct_us(&commit, 50));
	fset("raw_commit_p99_us", pct_us(&commit, 99));
	fset("raw_txn_p50_us", pct_us(&txl, 50));
	fset("raw_txn_p99_us", pct_us(&txl, 99));
	fprintf(stderr, "bench:   raw 1 put/commit: %.0f commits/s, commit p50 %.0f us\n",
		fget("raw_commits_per_s"), fget("raw_commit_p50_us"));
	mdb_env_close(env);
	samples_release(&commit);
	samples_release(&txl);
}

/* (b) 1,000 ordered MDB_APPEND puts per commit, or (c) 1,000 random puts. */
static void raw_batches(int append)
{
	const char *tag = append ? "raw_append" : "raw_random";
	int batches = append ? P->append_batches : P->random_batches;
	uint8_t k[RAW_KEY_BYTES], v[RAW_VALUE_BYTES];
	uint64_t seq = 0, t0, ns, w0 = io_wchar();
	struct samples commit;
	char name[64];
	MDB_env *env;
	MDB_dbi dbi;

	raw_env(append ? "raw-append" : "raw-random", &env, &dbi);
	samples_init(&commit, (size_t)batches);
	memset(v, 'v', sizeof(v));
	memset(k, 0, sizeof(k));
	t0 = kt_mono_ns();
	for (int b = 0; b < batches; b++) {
		MDB_txn *txn;
		uint64_t t;

		check_interrupt();
		mdb_ok(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin (raw batch)");
		for (int i = 0; i < RAW_PUTS_PER_TXN; i++) {
			MDB_val key = { sizeof(k), k }, val = { sizeof(v), v };

			if (append)
				kt_be64_put(k + 8, ++seq);
			else
				rand_key(k);
			mdb_ok(mdb_put(txn, dbi, &key, &val, append ? MDB_APPEND : 0),
			       "mdb_put (raw batch)");
		}
		t = kt_mono_ns();
		mdb_ok(mdb_txn_commit(txn), "mdb_txn_commit (raw batch)");
		sample_add(&commit, kt_mono_ns() - t);
	}
	ns = kt_mono_ns() - t0;
	snprintf(name, sizeof(name), "%s_puts_per_s", tag);
	fset(name, (double)batches * RAW_PUTS_PER_TXN / (ns / 1e9));
	fprintf(stderr, "bench:   %s: %.0f puts/s\n", tag, fget(name));
	snprintf(name, sizeof(name), "%s_commit_p50_ms", tag);
	fset(name, pct_us(&commit, 50) / 1e3);
	snprintf(name, sizeof(name), "%s_commit_p99_ms", tag);
	fset(name, pct_us(&commit, 99) / 1e3);
	snprintf(name, sizeof(name), "%s_write_bytes_per_put", tag);
	fset(name, (double)(io_wchar() - w0) / ((double)batches * RAW_PUTS_PER_TXN));
	mdb_env_close(env);
	samples_release(&commit);
}

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

struct card {
	char name[192], phone[32], email[96];
	char sur[64];    /* the surname as written, for queries */
	char first[64];  /* the given name as written */
	const char *latin; /* the given name in Latin letters, for the email */
};

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
static void card_make(uint64_t k, struct card *c)
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

enum { Q_NAME, Q_PHONE, Q_EMAIL, Q_KINDS };
static const char *qkind_name[Q_KINDS] = { "name", "phone", "email" };

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
static uint64_t draw_named(uint64_t n, struct card *c)
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
static void query_name(const struct card *c, char *out, size_t cap)
{
	size_t len = 3 + rnd() % 3;

	snprintf(out, cap, "%.*s", utf8_prefix(c->sur, len), c->sur);
}

/* The card's phone as typed another way: "8 (9xx) xxx-xx-xx" and others. */
static void query_phone(uint64_t k, int way, char *out, size_t cap)
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
static void query_email(const struct card *c, int upper, char *out, size_t cap)
{
	size_t i;

	snprintf(out, cap, "%s", c->email);
	for (i = 0; upper && out[i]; i++)
		out[i] = (char)toupper((unsigned char)out[i]);
}

/* ---- building stores ---- */

struct build {
	struct kt_store st;
	char dir[4200];
	struct kt_id *ids; /* card k's id */
	uint64_t n, cap;
};

static struct kt_draft drafts[KT_BATCH_MAX];
static struct card cards[KT_BATCH_MAX]; /* the texts drafts borrow */

static void store_make(struct build *b, const char *name, uint64_t cap)
{
	struct kt_err err;

	snprintf(b->dir, sizeof(b->dir), "%s/%s", root, name);
	if (kt_store_init(b->dir, "Bench", "RU", &err) != 0)
		die("kt_store_init '%s': %s", b->dir, err.msg);
	if (kt_store_open(&b->st, b->dir, &err) != 0)
		die("kt_store_open '%s': %s", b->dir, err.msg);
	b->ids = kt_calloc(cap, sizeof(*b->ids));
	b->n = 0;
	b->cap = cap;
}

static void store_free(struct build *b)
{
	kt_store_close(&b->st);
	free(b->ids);
	b->ids = NULL;
}

static void draft_set(struct kt_draft *d, const char *field, const char *text)
{
	struct kt_err err;

	if (kt_draft_field(d, field, text, KT_OP_SET, &err) != 0)
		die("kt_draft_field %s='%s': %s", field, text, err.msg);
}

/* Drafts cards [b->n, b->n + n) into drafts[]; their texts go to cards[]. */
static void draft_cards(struct build *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t k = b->n + i;

		kt_id_new(&b->ids[k], kt_wall_ms());
		card_make(k, &cards[i]);
		kt_draft_start(&drafts[i], KT_T_CLIENT, &b->ids[k], 1, NULL);
		draft_set(&drafts[i], "name", cards[i].name);
		draft_set(&drafts[i], "phone", cards[i].phone);
		draft_set(&drafts[i], "email", cards[i].email);
	}
}

/*
 * Adds cards until b->n reaches upto, KT_BATCH_MAX per kt_store_write().
 * Returns the ns spent inside kt_store_write (drafting excluded); each
 * batch's time goes to lat when it has room.
 */
static uint64_t build_cards(struct build *b, uint64_t upto, struct samples *lat)
{
	uint64_t in_store = 0, batches = 0;
	struct kt_err err;

	kt_assert(upto <= b->cap);
	while (b->n < upto) { /* bounded: each pass adds at least one card */
		size_t n = upto - b->n < KT_BATCH_MAX ? (size_t)(upto - b->n) : KT_BATCH_MAX;
		uint64_t t;

		check_interrupt();
		draft_cards(b, n);
		t = kt_mono_ns();
		if (kt_store_write(&b->st, drafts, n, NULL, &err) != 0)
			die("kt_store_write of %zu cards at %llu: %s", n,
			    (unsigned long long)b->n, err.msg);
		t = kt_mono_ns() - t;
		in_store += t;
		if (lat != NULL && lat->n < lat->cap)
			sample_add(lat, t);
		b->n += n;
		if (++batches % 100 == 0)
			fprintf(stderr, "bench:   %llu cards\n", (unsigned long long)b->n);
	}
	return in_store;
}

/* Sum of entries over the store's databases: LMDB puts per card, roughly. */
static uint64_t store_entries(struct build *b)
{
	MDB_dbi dbis[] = { b->st.meta, b->st.log, b->st.chain, b->st.rec, b->st.own,
			   b->st.idx, b->st.bday, b->st.keys, b->st.shred, b->st.tokens,
			   b->st.merged };
	struct kt_err err;
	uint64_t sum = 0;
	MDB_txn *txn;
	MDB_stat ms;

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("kt_store_rdtxn: %s", err.msg);
	for (size_t i = 0; i < N_OF(dbis); i++) {
		mdb_ok(mdb_stat(txn, dbis[i], &ms), "mdb_stat");
		sum += ms.ms_entries;
	}
	mdb_txn_abort(txn);
	return sum;
}

/* 2(b): the first CARDS_SMALL cards of a fresh store, 1,000 per transaction. */
static void batch_writes(struct build *b)
{
	struct samples lat;
	uint64_t t0 = kt_mono_ns(), w0 = io_wchar(), in_store, e0 = store_entries(b);
	double rate;

	samples_init(&lat, CARDS_SMALL / KT_BATCH_MAX + 1);
	in_store = build_cards(b, CARDS_SMALL, &lat);
	rate = (double)b->n / (in_store / 1e9);
	fset("batch_cards_per_s", rate);
	fset("batch_cards_per_s_with_drafting", (double)b->n / ((kt_mono_ns() - t0) / 1e9));
	fset("batch_p50_ms", pct_us(&lat, 50) / 1e3);
	fset("batch_p99_ms", pct_us(&lat, 99) / 1e3);
	fset("batch_ratio_to_raw_append", rate / fget("raw_append_puts_per_s"));
	fset("batch_ratio_to_raw_random", rate / fget("raw_random_puts_per_s"));
	fset("batch_lmdb_entries_per_card", (double)(store_entries(b) - e0) / (double)b->n);
	fset("batch_write_bytes_per_card", (double)(io_wchar() - w0) / (double)b->n);
	fset_bool("target_batch_ok", rate >= 100000);
	fprintf(stderr, "bench:   %.0f cards/s in kt_store_write\n", rate);
	samples_release(&lat);
}

/* 3: growing the store to CARDS_LARGE, the build rate on the way. */
static void grow_to_large(struct build *b)
{
	struct samples lat;
	uint64_t from = b->n, in_store, t0 = kt_mono_ns();

	samples_init(&lat, CARDS_LARGE / KT_BATCH_MAX + 1);
	in_store = build_cards(b, CARDS_LARGE, &lat);
	fset("build_to_1M_cards_per_s", (double)(b->n - from) / (in_store / 1e9));
	fset("build_to_1M_cards_per_s_with_drafting",
	     (double)(b->n - from) / ((kt_mono_ns() - t0) / 1e9));
	fset("build_to_1M_batch_p50_ms", pct_us(&lat, 50) / 1e3);
	fset("build_to_1M_batch_p99_ms", pct_us(&lat, 99) / 1e3);
	samples_release(&lat);
}

/* ---- 2(a): one durable `client edit` per transaction ---- */

static void single_writes(struct build *b)
{
	int n = P->single_writes;
	struct samples lat;
	struct kt_err err;
	char note[128];
	uint64_t t0 = kt_mono_ns();
	double rate;

	samples_init(&lat, (size_t)n);
	for (int i = 0; i < n; i++) {
		uint64_t t;

		check_interrupt();
		snprintf(note, sizeof(note), "prefers morning appointments; call before 10 (%d)", i);
		t = kt_mono_ns();
		kt_draft_start(&drafts[0], KT_T_CLIENT, &b->ids[rnd() % b->n], 0, NULL);
		draft_set(&drafts[0], "notes", note);
		if (kt_store_write(&b->st, drafts, 1, NULL, &err) != 0)
			die("kt_store_write (one edit): %s", err.msg);
		sample_add(&lat, kt_mono_ns() - t);
	}
	rate = n / ((kt_mono_ns() - t0) / 1e9);
	fset("single_writes_n", n);
	fset("single_writes_per_s", rate);
	fset("single_write_p50_us", pct_us(&lat, 50));
	fset("single_write_p99_us", pct_us(&lat, 99));
	fset("single_ratio_to_raw_commits", rate / fget("raw_commits_per_s"));
	fset("single_p50_ratio_to_raw_txn_p50", pct_us(&lat, 50) / fget("raw_txn_p50_us"));
	fset_bool("target_single_ok", rate / fget("raw_commits_per_s") >= 0.5);
	fprintf(stderr, "bench:   %.0f single writes/s, p50 %.0f us\n", rate, pct_us(&lat, 50));
	samples_release(&lat);
}

/* ---- 3: find and show ---- */

static uint64_t timed_find(struct build *b, const char *q, struct kt_id *out, int *got)
{
	struct kt_err err;
	MDB_txn *txn;
	uint64_t t = kt_mono_ns();

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("kt_store_rdtxn: %s", err.msg);
	*got = kt_store_find(&b->st, txn, q, out, KT_FIND_RESULTS_MAX, NULL, &err);
	mdb_txn_abort(txn);
	t = kt_mono_ns() - t;
	if (*got < 0)
		die("kt_store_find '%s': %s", q, err.msg);
	return t;
}

static uint64_t timed_load(struct build *b, const struct kt_id *id, struct kt_rec *r)
{
	struct kt_err err;
	MDB_txn *txn;
	uint64_t t = kt_mono_ns();
	int rc;

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("kt_store_rdtxn: %s", err.msg);
	rc = kt_store_load(&b->st, txn, id, r, &err);
	mdb_txn_abort(txn); /* r's values borrow from txn: only counts are read below */
	t = kt_mono_ns() - t;
	if (rc != 0)
		die("kt_store_load: %s", err.msg);
	if (r->type != KT_T_CLIENT || r->nfields < 3)
		die("kt_store_load: a card came back with type %u and %u fields",
		    (unsigned)r->type, (unsigned)r->nfields);
	return t;
}

static int has_id(const struct kt_id *ids, int n, const struct kt_id *id)
{
	for (int i = 0; i < n; i++)
		if (kt_id_cmp(&ids[i], id) == 0)
			return 1;
	return 0;
}

/* A query made in advance, so a second pass can replay it. */
struct query {
	char q[192];
	uint64_t k;   /* the card it was made from */
	int kind;
};

static struct query *make_queries(struct build *b, int n)
{
	struct query *qs = kt_calloc((size_t)n, sizeof(*qs));
	struct card c;

	for (int i = 0; i < n; i++) {
		struct query *q = &qs[i];

		q->kind = i % Q_KINDS;
		if (q->kind == Q_NAME) {
			q->k = draw_named(b->n, &c);
			query_name(&c, q->q, sizeof(q->q));
			continue;
		}
		q->k = rnd() % b->n;
		card_make(q->k, &c);
		if (q->kind == Q_PHONE)
			query_phone(q->k, i / Q_KINDS, q->q, sizeof(q->q));
		else
			query_email(&c, (i / Q_KINDS) % 2, q->q, sizeof(q->q));
	}
	return qs;
}

/* Runs one query; returns 1 on a miss (an empty answer, or the wrong card). */
static int run_query(struct build *b, const struct query *q, uint64_t *ns)
{
	struct kt_id found[KT_FIND_RESULTS_MAX];
	int got;

	*ns = timed_find(b, q->q, found, &got);
	if (got == 0 || (q->kind != Q_NAME && !has_id(found, got, &b->ids[q->k]))) {
		if (getenv("KT_BENCH_VERBOSE") != NULL)
			fprintf(stderr, "bench:   miss: %s query '%s' (%d found)\n",
				qkind_name[q->kind], q->q, got);
		return 1;
	}
	return 0;
}

/* Major page faults so far: each one a read from disk. */
static uint64_t majflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage: %s", strerror(errno));
	return (uint64_t)ru.ru_majflt;
}

/* Begin and abort of an empty read txn: the floor under every find and load. */
static void rdtxn_floor(struct build *b, const char *label)
{
	struct samples s;
	struct kt_err err;
	char key[64];

	samples_init(&s, (size_t)P->queries);
	for (int i = 0; i < P->queries; i++) {
		MDB_txn *txn;
		uint64_t t = kt_mono_ns();

		if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
			die("kt_store_rdtxn: %s", err.msg);
		mdb_txn_abort(txn);
		sample_add(&s, kt_mono_ns() - t);
	}
	snprintf(key, sizeof(key), "rdtxn_p50_us_%s", label);
	fset(key, pct_us(&s, 50));
	snprintf(key, sizeof(key), "rdtxn_p99_us_%s", label);
	fset(key, pct_us(&s, 99));
	samples_release(&s);
}

static void fset_pcts(const char *what, const char *label, struct samples *s)
{
	char key[96];

	snprintf(key, sizeof(key), "%s_p50_us_%s", what, label);
	fset(key, pct_us(s, 50));
	snprintf(key, sizeof(key), "%s_p99_us_%s", what, label);
	fset(key, pct_us(s, 99));
}

static void fset_label(const char *fmt, const char *label, double v)
{
	char key[96];

	snprintf(key, sizeof(key), fmt, label);
	fset(key, v);
}

/* The first pass over fresh queries: the figures of record, per kind too. */
static void finds_first(struct build *b, const struct query *qs, const char *label)
{
	struct samples all, per[Q_KINDS];
	int misses[Q_KINDS] = { 0 }, total = 0;
	uint64_t f0 = majflt(), ns;
	char key[96];

	samples_init(&all, (size_t)P->queries);
	for (int k = 0; k < Q_KINDS; k++)
		samples_init(&per[k], (size_t)P->queries);
	for (int i = 0; i < P->queries; i++) {
		check_interrupt();
		misses[qs[i].kind] += run_query(b, &qs[i], &ns);
		sample_add(&all, ns);
		sample_add(&per[qs[i].kind], ns);
	}
	fset_label("find_majflt_%s", label, (double)(majflt() - f0));
	fset_pcts("find", label, &all);
	for (int k = 0; k < Q_KINDS; k++) {
		snprintf(key, sizeof(key), "find_%s", qkind_name[k]);
		fset_pcts(key, label, &per[k]);
		snprintf(key, sizeof(key), "find_%s_misses_%%s", qkind_name[k]);
		fset_label(key, label, misses[k]);
		total += misses[k];
		samples_release(&per[k]);
	}
	fset_label("find_misses_%s", label, total);
	fprintf(stderr, "bench:   find at %s: p50 %.1f us, p99 %.1f us, %d misses\n", label,
		pct_us(&all, 50), pct_us(&all, 99), total);
	samples_release(&all);
}

/* The same queries again at once: their pages are in memory now. */
static void finds_replay(struct build *b, const struct query *qs, const char *label)
{
	struct samples all;
	uint64_t f0 = majflt(), ns;
	int misses = 0;

	samples_init(&all, (size_t)P->queries);
	for (int i = 0; i < P->queries; i++) {
		check_interrupt();
		misses += run_query(b, &qs[i], &ns);
		sample_add(&all, ns);
	}
	if (misses != 0)
		die("%d replayed queries missed", misses);
	fset_label("find_warm_majflt_%s", label, (double)(majflt() - f0));
	fset_pcts("find_warm", label, &all);
	samples_release(&all);
}

static void finds(struct build *b, const char *label)
{
	struct query *qs = make_queries(b, P->queries);

	finds_first(b, qs, label);
	finds_replay(b, qs, label);
	free(qs);
}

/* Loads of random clients, then the same clients again (warm). */
static void loads(struct build *b, const char *label)
{
	uint64_t *ks = kt_malloc(sizeof(uint64_t) * (size_t)P->queries), f0;
	struct samples s;
	struct kt_rec r;

	kt_rec_init(&r);
	for (int i = 0; i < P->queries; i++)
		ks[i] = rnd() % b->n;
	for (int pass = 0; pass < 2; pass++) {
		samples_init(&s, (size_t)P->queries);
		f0 = majflt();
		for (int i = 0; i < P->queries; i++) {
			check_interrupt();
			sample_add(&s, timed_load(b, &b->ids[ks[i]], &r));
		}
		fset_label(pass ? "show_warm_majflt_%s" : "show_majflt_%s", label,
			   (double)(majflt() - f0));
		fset_pcts(pass ? "show_warm" : "show", label, &s);
		samples_release(&s);
	}
	kt_rec_release(&r);
	free(ks);
}

/*
 * An extra case outside the brief's mix: "surname-prefix first-name", two
 * words, so the search walks one word's index and reads each hit's name.
 */
static void two_word_finds(struct build *b, const char *label)
{
	struct kt_id found[KT_FIND_RESULTS_MAX];
	struct samples s;
	struct card c;
	char q[256], pre[96];
	int got, empty = 0;

	samples_init(&s, (size_t)P->two_word_queries);
	for (int i = 0; i < P->two_word_queries; i++) {
		check_interrupt();
		draw_named(b->n, &c);
		query_name(&c, pre, sizeof(pre));
		snprintf(q, sizeof(q), "%s %s", pre, c.first);
		sample_add(&s, timed_find(b, q, found, &got));
		empty += got == 0;
	}
	fset_pcts("find_two_words", label, &s);
	snprintf(q, sizeof(q), "find_two_words_misses_%s", label);
	fset(q, empty);
	samples_release(&s);
}

static void lookups(struct build *b, const char *label)
{
	rdtxn_floor(b, label);
	finds(b, label);
	loads(b, label);
	two_word_finds(b, label);
}

/* ---- 4: a whole kt-node process ---- */

static const char *kt_node_path(void)
{
	const char *p = getenv("KT_NODE");

	return p != NULL && p[0] != '\0' ? p : "bin/kt-node";
}

/* Runs argv[0] with stdout and stderr to /dev/null; returns its wall time. */
static uint64_t spawn_timed(char **argv)
{
	const char *bin = argv[0];
	posix_spawn_file_actions_t fa;
	uint64_t t;
	pid_t pid;
	int rc, status;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0)) != 0)
		die("posix_spawn_file_actions: %s", strerror(rc));
	t = kt_mono_ns();
	if ((rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ)) != 0)
		die("cannot run '%s': %s", bin, strerror(rc));
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid '%s': %s", bin, strerror(errno));
	t = kt_mono_ns() - t;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[1024] = "";
		size_t n = 0;

		for (int i = 0; argv[i] != NULL && i < 8 && n < sizeof(line); i++) /* 6 at most */
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "",
					      argv[i]);
		die("'%s' failed (wait status %d)", line, status);
	}
	return t;
}

static uint64_t spawn_find(const char *bin, const char *dir, const char *q)
{
	char *argv[] = { (char *)bin, "-d", (char *)dir, "client", "find", (char *)q, NULL };

	return spawn_timed(argv);
}

/* The floor under any process: posix_spawn + exit of /bin/true. */
static void spawn_floor(void)
{
	char *argv[] = { "/bin/true", NULL };
	struct samples s;

	if (access(argv[0], X_OK) != 0)
		return;
	samples_init(&s, (size_t)P->spawns);
	for (int i = 0; i < P->spawns; i++)
		sample_add(&s, spawn_timed(argv));
	fset("process_true_p50_ms", pct_us(&s, 50) / 1e3);
	fset("process_true_p99_ms", pct_us(&s, 99) / 1e3);
	samples_release(&s);
}

static void process_finds(struct build *b, const char *label)
{
	const char *bin = kt_node_path();
	struct samples s;
	struct card c;
	char q[96], key[96];

	snprintf(key, sizeof(key), "process_find_p50_ms_%s", label);
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "bench:   no '%s' (make bin/kt-node): process finds skipped\n", bin);
		json_object_set_new(fig, key, json_null());
		return;
	}
	spawn_floor();
	samples_init(&s, (size_t)P->spawns);
	for (int i = 0; i < P->spawns; i++) {
		check_interrupt();
		draw_named(b->n, &c);
		query_name(&c, q, sizeof(q));
		sample_add(&s, spawn_find(bin, b->dir, q));
	}
	fset(key, pct_us(&s, 50) / 1e3);
	snprintf(key, sizeof(key), "process_find_p99_ms_%s", label);
	fset(key, pct_us(&s, 99) / 1e3);
	samples_release(&s);
}

/* ---- 5: store bytes per client with 5 visits ---- */

static const char *services[] = { "Hydrating facial", "Чистка лица", "Peeling chimic",
				  "Массаж лица", "Microdermabrasion", "Биоревитализация" };

/* Visit round `round` of clients [from, from + n), in a scattered order. */
static void draft_visits(struct build *b, int round, uint64_t from, size_t n)
{
	static char dates[KT_BATCH_MAX][11], amounts[KT_BATCH_MAX][16];

	for (size_t i = 0; i < n; i++) {
		/* 7919 is prime and does not divide SIZE_CLIENTS: a permutation. */
		uint64_t k = ((from + i) * 7919u) % b->n;
		struct kt_id id;

		kt_id_new(&id, kt_wall_ms());
		kt_draft_start(&drafts[i], KT_T_VISIT, &id, 1, &b->ids[k]);
		snprintf(dates[i], sizeof(dates[i]), "2026-%02u-%02u", (unsigned)(1 + round * 2),
			 (unsigned)(1 + k % 28));
		snprintf(amounts[i], sizeof(amounts[i]), "%u.%02u", (unsigned)(1500 + k % 3000),
			 (unsigned)(k % 2) * 50);
		draft_set(&drafts[i], "date", dates[i]);
		draft_set(&drafts[i], "services", services[(k + (uint64_t)round) % N_OF(services)]);
		draft_set(&drafts[i], "amount", amounts[i]);
	}
}

static uint64_t add_visits(struct build *b)
{
	struct kt_err err;
	uint64_t in_store = 0;

	for (int round = 0; round < SIZE_VISITS_EACH; round++)
		for (uint64_t from = 0; from < b->n; from += KT_BATCH_MAX) {
			size_t n = b->n - from < KT_BATCH_MAX ? (size_t)(b->n - from) : KT_BATCH_MAX;
			uint64_t t;

			check_interrupt();
			draft_visits(b, round, from, n);
			t = kt_mono_ns();
			if (kt_store_write(&b->st, drafts, n, NULL, &err) != 0)
				die("kt_store_write of %zu visits: %s", n, err.msg);
			in_store += kt_mono_ns() - t;
		}
	return in_store;
}

/* Pages each database holds, as bytes per client. */
static void size_breakdown(struct build *b, size_t psize)
{
	struct { const char *name; MDB_dbi dbi; } dbs[] = {
		{ "log", b->st.log }, { "rec", b->st.rec }, { "idx", b->st.idx },
		{ "own", b->st.own }, { "chain", b->st.chain }, { "tokens", b->st.tokens },
		{ "keys", b->st.keys },
	};
	struct kt_err err;
	MDB_txn *txn;
	MDB_stat ms;
	char key[64];

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("kt_store_rdtxn: %s", err.msg);
	for (size_t i = 0; i < N_OF(dbs); i++) {
		mdb_ok(mdb_stat(txn, dbs[i].dbi, &ms), "mdb_stat");
		snprintf(key, sizeof(key), "size_%s_bytes_per_client", dbs[i].name);
		fset(key, (double)(ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages) *
				  (double)psize / (double)b->n);
		snprintf(key, sizeof(key), "size_%s_entries", dbs[i].name);
		fset(key, (double)ms.ms_entries);
	}
	mdb_txn_abort(txn);
}

static void bytes_per_client(void)
{
	struct build b;
	struct kt_store_info info;
	struct kt_err err;
	MDB_envinfo ei;
	MDB_stat ms;
	uint64_t t;
	double bytes;

	memset(&b, 0, sizeof(b));
	store_make(&b, "size", SIZE_CLIENTS);
	build_cards(&b, SIZE_CLIENTS, NULL);
	t = add_visits(&b);
	fset("size_visit_changes_per_s", (double)(b.n * SIZE_VISITS_EACH) / (t / 1e9));
	mdb_ok(mdb_env_info(b.st.env, &ei), "mdb_env_info");
	mdb_ok(mdb_env_stat(b.st.env, &ms), "mdb_env_stat");
	bytes = (double)(ei.me_last_pgno + 1) * ms.ms_psize;
	if (kt_store_info(&b.st, &info, &err) != 0)
		die("kt_store_info: %s", err.msg);
	if (info.used_bytes != (uint64_t)bytes)
		die("kt_store_info used_bytes %llu differs from mdb_env_info's %.0f",
		    (unsigned long long)info.used_bytes, bytes);
	fset("size_clients", (double)b.n);
	fset("size_changes", (double)info.changes);
	fset("bytes_per_client_5_visits", bytes / (double)b.n);
	size_breakdown(&b, ms.ms_psize);
	store_free(&b);
}

/* ---- 6. the safety check at the chair ---- */

static struct kt_id put_record(struct build *b, uint8_t type, const struct kt_id *owner,
			       const char *const *kv)
{
	static struct kt_draft d;
	struct kt_err err;
	struct kt_id id;

	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, type, &id, 1, owner);
	for (; *kv != NULL; kv += 2) {
		const struct kt_field *f = kt_schema_field_named(type, kv[0]);

		if (f == NULL || kt_draft_field(&d, kv[0], kv[1], f->merge == KT_M_SET ?
						KT_OP_ADD : KT_OP_SET, &err) != 0)
			die("safety bench: field %s='%s'", kv[0], kv[1]);
	}
	if (kt_store_write(&b->st, &d, 1, NULL, &err) != 0)
		die("safety bench: kt_store_write: %s", err.msg);
	return id;
}

static void merge_into(struct build *b, const struct kt_id *keep, const struct kt_id *other)
{
	static struct kt_draft d;
	struct kt_err err;

	kt_draft_start(&d, KT_T_CLIENT, other, 0, NULL);
	memset(&d.ops[0], 0, sizeof(d.ops[0]));
	d.ops[0].field = KT_F_ALIAS;
	d.ops[0].kind = KT_OP_ALIAS;
	d.ops[0].arg = keep->b;
	d.ops[0].arg_len = KT_ID_BYTES;
	d.nops = 1;
	if (kt_store_write(&b->st, &d, 1, NULL, &err) != 0)
		die("safety bench: merge: %s", err.msg);
}

/* One timed kt_safety_visit in its own read transaction; returns its verdict. */
static int timed_check(struct build *b, const struct kt_id *c, const char *services,
		       const char *products, const struct kt_safety_rules *rules,
		       struct samples *s)
{
	struct kt_safety_verdict v;
	struct kt_err err;
	MDB_txn *txn;
	uint64_t t0 = kt_mono_ns();
	int rc;

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("safety bench: rdtxn: %s", err.msg);
	rc = kt_safety_visit(&b->st, txn, c, services, products, rules, &v, &err);
	mdb_txn_abort(txn);
	sample_add(s, kt_mono_ns() - t0);
	if (rc != 0)
		die("safety bench: kt_safety_visit: %s", err.msg);
	return v.refused;
}

static void safety_checks(void)
{
	static const char *const keep[] = { "name", "Анна Безопасная", "allergies",
					    "латекс, масло чайного дерева", NULL };
	static const char *const other[] = { "name", "Анна Б.", "allergies", "никель; хна",
					     "medications", "изотретиноин 20 мг",
					     "staff_alert", "сильные реакции", NULL };
	static const char *const third[] = { "name", "Anna B", "allergies", "nuts, parfum",
					     "contraindications", "беременность", NULL };
	static const char *const pt[] = { "subject", "краска для волос", "status", "passed",
					  "date", "2026-11-20", NULL };
	const char *go = "Маска увлажняющая с гиалуроновой кислотой, массаж лица",
		   *stop = "Пилинг 7 и маска с маслом чайного дерева";
	int n = quick ? 2000 : 10000, words = quick ? 20000 : 100000;
	struct samples sg, ss, sw;
	struct kt_id k, o, t;
	struct build b;
	struct kt_safety_rules rules = { 0, "", KT_SAFETY_PATCH_MONTHS };
	uint64_t t0;
	int hits = 0;

	memset(&b, 0, sizeof(b));
	store_make(&b, "safety", 1);
	for (int i = 0; i < CATALOGUE_ENTRIES; i++) {
		char name[64], subst[96];
		const char *kv[] = { "name", name, "kind", "service", "substances", subst,
				     "contraindications", "беременность, розацеа",
				     "medications", "изотретиноин", "patch_test",
				     i % 10 == 0 ? "yes" : "no", NULL };

		snprintf(name, sizeof(name), "Процедура %d", i);
		snprintf(subst, sizeof(subst), "вещество %d, экстракт %d", i, i + 1);
		if (i == 7)
			snprintf(name, sizeof(name), "Пилинг 7");
		put_record(&b, KT_T_CATALOGUE, NULL, kv);
	}
	k = put_record(&b, KT_T_CLIENT, NULL, keep);
	o = put_record(&b, KT_T_CLIENT, NULL, other);
	t = put_record(&b, KT_T_CLIENT, NULL, third);
	put_record(&b, KT_T_PATCH, &o, pt);
	merge_into(&b, &k, &o);
	merge_into(&b, &k, &t);
	kt_date_parse("2026-12-02", &rules.today);
	samples_init(&sg, (size_t)n);
	samples_init(&ss, (size_t)n);
	for (int i = 0; i < n; i++) {
		if (timed_check(&b, &k, go, "", &rules, &sg) != 0)
			die("safety bench: a visit that should go ahead was refused");
		if (timed_check(&b, &t, stop, "", &rules, &ss) != 1)
			die("safety bench: a visit that should be refused went ahead");
	}
	fset("safety_go_p50_us", pct_us(&sg, 50));
	fset("safety_go_p99_us", pct_us(&sg, 99));
	fset("safety_stop_p50_us", pct_us(&ss, 50));
	fset("safety_stop_p99_us", pct_us(&ss, 99));
	samples_release(&sg);
	samples_release(&ss);
	samples_init(&sw, 2);
	t0 = kt_mono_ns();
	for (int i = 0; i < words; i++)
		hits += kt_text_stem_phrase_in("масло чайного дерева", stop);
	sample_add(&sw, kt_mono_ns() - t0);
	t0 = kt_mono_ns();
	for (int i = 0; i < words; i++)
		hits -= kt_text_phrase_in("масло чайного дерева", stop); /* "маслом": no */
	sample_add(&sw, kt_mono_ns() - t0);
	if (hits != words)
		die("safety bench: the phrase was found %d times of %d by stems and folds",
		    hits, words);
	fset("stem_match_us", (double)sw.v[0] / 1e3 / words);
	fset("fold_match_us", (double)sw.v[1] / 1e3 / words);
	samples_release(&sw);
	store_free(&b);
}

/* ---- the report ---- */

static void row(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("  %-52s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static const char *verdict(const char *name)
{
	json_t *j = json_object_get(fig, name);

	return json_is_true(j) ? "MET" : json_is_false(j) ? "MISSED" : "n/a";
}

static void report_raw(void)
{
	printf("1. Raw LMDB on this machine (fresh env, default durable flags)\n");
	row("durable commits, 1 put/txn (16 B key, 200 B val)",
	    "%9.0f /s   commit p50 %.0f us, p99 %.0f us  (%.0f commits)",
	    fget("raw_commits_per_s"), fget("raw_commit_p50_us"), fget("raw_commit_p99_us"),
	    fget("raw_commits_n"));
	row("1,000 ordered MDB_APPEND puts/txn",
	    "%9.0f /s   commit p50 %.2f ms, p99 %.2f ms  (%d batches)",
	    fget("raw_append_puts_per_s"), fget("raw_append_commit_p50_ms"),
	    fget("raw_append_commit_p99_ms"), P->append_batches);
	row("1,000 random-key puts/txn, growing db",
	    "%9.0f /s   commit p50 %.2f ms, p99 %.2f ms  (%d batches, %.0f B written/put)",
	    fget("raw_random_puts_per_s"), fget("raw_random_commit_p50_ms"),
	    fget("raw_random_commit_p99_ms"), P->random_batches,
	    fget("raw_random_write_bytes_per_put"));
}

static void report_writes(void)
{
	printf("\n2. Our durable changes per second (kt_store_write)\n");
	row("(a) 1 change/txn: `client edit` notes=...",
	    "%9.0f /s   p50 %.0f us, p99 %.0f us  (%.0f writes at 100k cards)",
	    fget("single_writes_per_s"), fget("single_write_p50_us"),
	    fget("single_write_p99_us"), fget("single_writes_n"));
	row("    ratio to raw 1-put commits/s",
	    "%9.2f     target >= 0.50: %s  (p50 = %.2f x raw txn p50)",
	    fget("single_ratio_to_raw_commits"), verdict("target_single_ok"),
	    fget("single_p50_ratio_to_raw_txn_p50"));
	row("(b) 1,000 new cards/txn, first 100k cards",
	    "%9.0f /s   batch p50 %.0f ms, p99 %.0f ms  (%.0f /s with drafting)",
	    fget("batch_cards_per_s"), fget("batch_p50_ms"), fget("batch_p99_ms"),
	    fget("batch_cards_per_s_with_drafting"));
	row("    ratio to raw append / raw random puts/s", "%9.2f / %.2f   target >= 100,000/s: %s",
	    fget("batch_ratio_to_raw_append"), fget("batch_ratio_to_raw_random"),
	    verdict("target_batch_ok"));
	row("    LMDB entries written per card", "%9.1f     (%.0f B passed to pwrite per card)",
	    fget("batch_lmdb_entries_per_card"), fget("batch_write_bytes_per_card"));
}

static void report_lookup(const char *label)
{
	char k1[96], k2[96], l[96];

	/* k = -1: all queries; then each kind. */
	for (int k = -1; k < Q_KINDS; k++) {
		const char *what = k < 0 ? "find" : qkind_name[k];

		snprintf(k1, sizeof(k1), "%s%s_p50_us_%s", k < 0 ? "" : "find_", what, label);
		snprintf(k2, sizeof(k2), "%s%s_p99_us_%s", k < 0 ? "" : "find_", what, label);
		if (k < 0)
			snprintf(l, sizeof(l), "find, %d queries (1/3 each kind)", P->queries);
		else
			snprintf(l, sizeof(l), "  %s", k == Q_NAME ? "surname prefix, 3-5 chars"
					       : k == Q_PHONE ? "phone, other formatting"
							      : "email, case varies");
		row(l, "p50 %7.1f us   p99 %7.1f us", fget(k1), fget(k2));
	}
	snprintf(k1, sizeof(k1), "find_misses_%s", label);
	snprintf(k2, sizeof(k2), "find_majflt_%s", label);
	row("  queries with no or wrong answer", "%.0f   (major page faults in the pass: %.0f)",
	    fget(k1), fget(k2));
	snprintf(k1, sizeof(k1), "find_warm_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "find_warm_p99_us_%s", label);
	snprintf(l, sizeof(l), "find_warm_majflt_%s", label);
	row("  same queries replayed at once (warm)", "p50 %7.1f us   p99 %7.1f us   (%.0f faults)",
	    fget(k1), fget(k2), fget(l));
	snprintf(k1, sizeof(k1), "show_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "show_p99_us_%s", label);
	snprintf(l, sizeof(l), "show_majflt_%s", label);
	row("show (kt_store_load of a random client)", "p50 %7.1f us   p99 %7.1f us   (%.0f faults)",
	    fget(k1), fget(k2), fget(l));
	snprintf(k1, sizeof(k1), "show_warm_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "show_warm_p99_us_%s", label);
	row("  same clients again (warm)", "p50 %7.1f us   p99 %7.1f us", fget(k1), fget(k2));
	snprintf(k1, sizeof(k1), "rdtxn_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "rdtxn_p99_us_%s", label);
	row("  (of which read txn begin+abort alone)", "p50 %7.1f us   p99 %7.1f us", fget(k1),
	    fget(k2));
	snprintf(k1, sizeof(k1), "find_two_words_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "find_two_words_p99_us_%s", label);
	snprintf(l, sizeof(l), "find_two_words_misses_%s", label);
	row("extra: 2-word 'Surn FirstName' (not in targets)",
	    "p50 %7.1f us   p99 %7.1f us   (%.0f empty)", fget(k1), fget(k2), fget(l));
}

static void report_search(void)
{
	printf("\n3. Search and show in-process (read txn per call: mdb_txn_begin + "
	       "mdb_txn_abort)\n");
	row("build rate, first 100k cards (batches of 1,000)", "%9.0f cards/s",
	    fget("batch_cards_per_s"));
	printf(" at 100k cards:\n");
	report_lookup("100k");
	if (!quick) {
		row("build rate, 100k -> 1M cards (batches of 1,000)",
		    "%9.0f cards/s  batch p50 %.0f ms, p99 %.0f ms",
		    fget("build_to_1M_cards_per_s"), fget("build_to_1M_batch_p50_ms"),
		    fget("build_to_1M_batch_p99_ms"));
		printf(" at 1M cards:\n");
		report_lookup("1M");
		row("find p99 < 100 us at 1M (first pass)", "%s  (warm replay: %s)",
		    verdict("target_find_ok"), verdict("target_find_warm_ok"));
	} else {
		row("find p99 < 100 us at 1M", "not measured (--quick)");
	}
}

static void report_process(void)
{
	printf("\n4. Whole process: `kt-node -d DIR client find SURNAME` (posix_spawn, %d runs)\n",
	       P->spawns);
	if (json_is_null(json_object_get(fig, "process_find_p50_ms_100k"))) {
		row("", "skipped: no executable '%s' (build it: make bin/kt-node)", kt_node_path());
		return;
	}
	row("at 100k cards", "p50 %.2f ms   p99 %.2f ms", fget("process_find_p50_ms_100k"),
	    fget("process_find_p99_ms_100k"));
	if (!quick)
		row("at 1M cards", "p50 %.2f ms   p99 %.2f ms", fget("process_find_p50_ms_1M"),
		    fget("process_find_p99_ms_1M"));
	row("  (floor: posix_spawn of /bin/true)", "p50 %.2f ms   p99 %.2f ms",
	    fget("process_true_p50_ms"), fget("process_true_p99_ms"));
}

static void report_size(void)
{
	static const char *dbs[] = { "log", "rec", "idx", "own", "chain", "tokens", "keys" };
	char k1[64], k2[64];

	printf("\n5. Store size: %.0f clients x %d visits (%.0f changes), "
	       "(me_last_pgno+1) x pagesize / clients\n",
	       fget("size_clients"), SIZE_VISITS_EACH, fget("size_changes"));
	row("bytes per client with 5 visits", "%9.0f B", fget("bytes_per_client_5_visits"));
	for (size_t i = 0; i < N_OF(dbs); i++) {
		snprintf(k1, sizeof(k1), "size_%s_bytes_per_client", dbs[i]);
		snprintf(k2, sizeof(k2), "size_%s_entries", dbs[i]);
		row(dbs[i], "%9.0f B  (%.0f entries)", fget(k1), fget(k2));
	}
	row("visit changes/s while filling it (1,000/txn)", "%9.0f /s",
	    fget("size_visit_changes_per_s"));
}

static void report_safety(void)
{
	printf("\n6. Safety check at the chair (kt_safety_visit, read txn per call): a group of "
	       "3 merged cards, %d catalogue entries\n", CATALOGUE_ENTRIES);
	row("a visit that goes ahead", "p50 %.1f µs   p99 %.1f µs", fget("safety_go_p50_us"),
	    fget("safety_go_p99_us"));
	row("a visit that is refused", "p50 %.1f µs   p99 %.1f µs", fget("safety_stop_p50_us"),
	    fget("safety_stop_p99_us"));
	row("one phrase match by stems / by folds", "%.2f µs / %.2f µs (%.1fx)",
	    fget("stem_match_us"), fget("fold_match_us"),
	    fget("stem_match_us") / fget("fold_match_us"));
}

static void report(double total_s)
{
	const char *key;
	json_t *v;

	printf("\n==== Kartoteka benchmark report (%s run) ====\n\n", quick ? "quick" : "full");
	report_raw();
	report_writes();
	report_search();
	report_process();
	report_size();
	report_safety();
	printf("\nPhases:\n");
	json_object_foreach(phases, key, v)
		row(key, "%7.1f s", json_real_value(v));
	row("total", "%7.1f s", total_s);
}

/* ---- main ---- */

static void make_root(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if (snprintf(root, sizeof(root), "%s/kt-bench-XXXXXX", tmp) >= (int)sizeof(root))
		die("TMPDIR is too long");
	if (mkdtemp(root) == NULL) {
		int e = errno;

		root[0] = '\0';
		die("cannot make a temporary folder under '%s': %s", tmp, strerror(e));
	}
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = 1;
			P = &plan_quick;
		} else {
			fprintf(stderr, "usage: bench [--quick]\n");
			exit(2);
		}
	}
}

static void run_main_store(void)
{
	struct build b;

	memset(&b, 0, sizeof(b));
	store_make(&b, "cards", quick ? CARDS_SMALL : CARDS_LARGE);
	phase_begin("2(b) 100k new cards, 1,000 per txn");
	batch_writes(&b);
	phase_end("build 100k (2b)");
	phase_begin("2(a) one durable edit per txn");
	single_writes(&b);
	phase_end("single writes (2a)");
	phase_begin("3/4 find and show at 100k");
	lookups(&b, "100k");
	process_finds(&b, "100k");
	phase_end("lookups 100k (3, 4)");
	if (!quick) {
		phase_begin("3 grow to 1M cards");
		grow_to_large(&b);
		phase_end("build to 1M (3)");
		phase_begin("3/4 find and show at 1M");
		lookups(&b, "1M");
		process_finds(&b, "1M");
		fset_bool("target_find_ok", fget("find_p99_us_1M") < 100);
		fset_bool("target_find_warm_ok", fget("find_warm_p99_us_1M") < 100);
		phase_end("lookups 1M (3, 4)");
	}
	store_free(&b);
}

int main(int argc, char **argv)
{
	uint64_t t0 = kt_mono_ns();
	double total;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	kt_crypto_init();
	fig = json_object();
	phases = json_object();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	make_root();
	fprintf(stderr, "bench: %s run in %s (%s)\n", quick ? "quick" : "full", root,
		mdb_version(NULL, NULL, NULL));
	phase_begin("1 raw LMDB");
	raw_single();
	raw_batches(1);
	raw_batches(0);
	phase_end("raw LMDB (1)");
	run_main_store();
	phase_begin("5 bytes per client with 5 visits");
	bytes_per_client();
	phase_end("size (5)");
	phase_begin("6 the safety check");
	safety_checks();
	phase_end("safety check (6)");
	phase_begin("cleanup");
	cleanup();
	phase_end("cleanup");
	total = (double)(kt_mono_ns() - t0) / 1e9;
	report(total);
	json_object_set_new(fig, "mode", json_string(quick ? "quick" : "full"));
	json_object_set_new(fig, "total_s", json_real(total));
	json_object_set(fig, "phase_s", phases);
	printf("\nBENCH_JSON ");
	if (json_dumpf(fig, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6)) != 0)
		die("cannot write the JSON line");
	printf("\n");
	json_decref(fig);
	json_decref(phases);
	return 0;
}
