/*
 * import_header.c - the names staff give a spreadsheet's columns, in the
 * four languages of the chain (see import.h, "Header aliases").
 *
 * One table: for each record type a CSV may hold (client cards, visits,
 * catalogue entries), each field's other names, as the salons' own
 * spreadsheets head them (shared/GLOSSARY.md).  A header cell and a name
 * are compared by kt_text_words_key(): case, accents, blanks, punctuation
 * and a BOM aside, so "Дата рождения", " data NAȘTERII " and "Data
 * nasterii" meet, and "Skin type" is skin_type.  A field's schema name
 * always counts, so a table entry lists only the others.
 *
 * A few names are not fields: "id" (the record's own id), "type",
 * "row_number" (a sheet's "№" or "#" column, passed over), the name's
 * parts "surname", "given_name" and "patronymic" (joined into name),
 * "merged_into" (a card merged into another, as export writes it) and a
 * visit's "client" (the id of her card); import.c gives them their
 * meaning.  No key may name two columns of one type: test_import checks
 * the table for that.
 */
#include "import.h"
#include "proto/schema.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct alias {
	uint8_t type;       /* KT_T_*, or 0: every type */
	const char *field;  /* the schema's name, or id, type, merged_into, client */
	const char *names;  /* other names, separated by '|' */
};

static const struct alias aliases[] = {
	{ 0, "id", "ID|Id записи|Record id|Cod|编号" },
	{ 0, "type", "Тип записи|Record type|Tip înregistrare|记录类型" },
	/* A sheet's own row numbers: not a field, and its cells are passed over. */
	{ 0, "row_number", "№|№ п/п|No.|Nr.|Nr. crt.|序号" },

	{ KT_T_CLIENT, "name", "ФИО|Клиент|Клиентка|Имя клиента|Фамилия Имя|Фамилия Имя Отчество|"
	  "Name|Full name|Client name|Customer|Nume complet|Nume și prenume|Numele clientului|"
	  "姓名|客户|顾客|客户姓名|顾客姓名|名字" },
	/*
	 * The name in parts, as old systems export it: joined into name in the
	 * order of the file's columns (import.c).  A lone "Имя" or "Nume"
	 * column is a part too, and so the whole name.
	 */
	{ KT_T_CLIENT, "surname", "Фамилия|Nume|Nume de familie|Numele de familie|姓|姓氏|"
	  "Surname|Last name|Family name" },
	{ KT_T_CLIENT, "given_name", "Имя|Prenume|Prenumele|名|Given name|First name|Forename" },
	{ KT_T_CLIENT, "patronymic", "Отчество|Patronimic|Patronymic|Middle name" },
	{ KT_T_CLIENT, "phone", "Телефон|Тел|Тел.|Мобильный|Мобильный телефон|Сотовый|"
	  "Номер телефона|Phone|Phone number|Mobile|Mobile phone|Cell|Telephone|Tel|Telefon|"
	  "Telefon mobil|Mobil|Nr. telefon|Număr de telefon|电话|手机|手机号|电话号码|联系电话" },
	{ KT_T_CLIENT, "email", "E-mail|Email|Почта|Эл. почта|Электронная почта|Емейл|Mail|"
	  "E-mail address|Email address|Adresă de e-mail|Adresa de email|Poștă electronică|邮箱|"
	  "电子邮件|电子邮箱|邮件" },
	{ KT_T_CLIENT, "birthday", "Дата рождения|День рождения|ДР|Birthday|Date of birth|"
	  "Birth date|DOB|Data nașterii|Zi de naștere|Ziua de naștere|生日|出生日期" },
	{ KT_T_CLIENT, "gender", "Пол|Gender|Sex|Sexul|Gen|性别" },
	{ KT_T_CLIENT, "skin_type", "Тип кожи|Skin|Tipul pielii|Tip de piele|皮肤类型|肤质" },
	{ KT_T_CLIENT, "sensitivity", "Чувствительность|Sensibilitate|敏感度" },
	{ KT_T_CLIENT, "health_notes", "Состояние здоровья|Здоровье|Health|Stare de sănătate|"
	  "Sănătate|健康情况|疾病史" },
	{ KT_T_CLIENT, "staff_alert", "Предупреждение|Важно|Внимание|Alert|Warning|Atenție|"
	  "Avertizare|注意事项|提醒" },
	{ KT_T_CLIENT, "notes", "Заметки|Примечание|Примечания|Комментарий|Комментарии|Note|"
	  "Comment|Comments|Observații|Notițe|Comentarii|备注|说明" },
	{ KT_T_CLIENT, "home_branch", "Филиал|Салон|Branch|Salon|Filială|Filiala|门店|分店" },
	{ KT_T_CLIENT, "consent_photos", "Согласие на фото|Фото|Photo consent|Consent to photos|"
	  "Acord foto|Consimțământ foto|拍照同意|照片授权" },
	{ KT_T_CLIENT, "consent_marketing", "Согласие на рассылку|Рассылка|Marketing consent|"
	  "Consent to marketing|Newsletter|Acord marketing|Consimțământ marketing|营销同意|"
	  "接收推广" },
	{ KT_T_CLIENT, "referred_by", "Кто посоветовал|Откуда узнала|Откуда узнал|Рекомендация|"
	  "Referral|Recomandat de|Recomandare|推荐人" },
	{ KT_T_CLIENT, "allergies", "Аллергии|Аллергия|Allergy|Alergii|Alergie|过敏|过敏史" },
	{ KT_T_CLIENT, "contraindications", "Противопоказания|Противопоказание|Contraindication|"
	  "Contraindicații|Contraindicație|禁忌|禁忌症" },
	{ KT_T_CLIENT, "medications", "Лекарства|Препараты|Лекарство|Medication|Medicines|"
	  "Medicamente|Medicament|用药" },
	{ KT_T_CLIENT, "problem_zones", "Проблемные зоны|Problem areas|Zone problematice|"
	  "问题部位" },
	{ KT_T_CLIENT, "preferences", "Предпочтения|Preferințe|喜好" },
	{ KT_T_CLIENT, "goals", "Цели|Obiective|目标" },
	{ KT_T_CLIENT, "tags", "Метки|Теги|Tag|Etichete|标签" },
	{ KT_T_CLIENT, "important_dates", "Важные даты|Date importante|重要日期|纪念日" },
	{ KT_T_CLIENT, "merged_into", "Merged into" },

	{ KT_T_VISIT, "client", "Client id|Id клиента|Код клиента|Cod client|客户编号|顾客编号" },
	{ KT_T_VISIT, "date", "Дата|Дата визита|Дата посещения|Visit date|Data|Data vizitei|"
	  "日期|到店日期|服务日期" },
	{ KT_T_VISIT, "branch", "Филиал|Салон|Salon|Filială|Filiala|门店|分店" },
	{ KT_T_VISIT, "specialist", "Мастер|Специалист|Косметолог|Master|Cosmetologist|Staff|"
	  "Cosmetician|Cosmeticiană|Specialist|美容师|技师" },
	{ KT_T_VISIT, "services", "Услуга|Услуги|Процедура|Процедуры|Service|Procedure|"
	  "Procedures|Serviciu|Servicii|Procedură|Proceduri|服务项目|护理项目|项目|服务" },
	{ KT_T_VISIT, "amount", "Сумма|Стоимость|Оплачено|Оплата|Paid|Total|Sum|Sumă|Suma|"
	  "Total plătit|金额|实付|实付金额" },
	{ KT_T_VISIT, "currency", "Валюта|Moneda|Valută|币种|货币" },
	{ KT_T_VISIT, "products_used", "Использованные продукты|Продукты|Препараты|Products|"
	  "Produse folosite|Produse|使用产品" },
	{ KT_T_VISIT, "products_sold", "Проданные продукты|Продажа|Продажи|Sold|Produse vândute|"
	  "售出产品" },
	{ KT_T_VISIT, "result", "Результат|Rezultat|护理效果|疗效" },
	{ KT_T_VISIT, "rating", "Оценка|Notă|Evaluare|评分" },

	{ KT_T_CATALOGUE, "name", "Название|Наименование|Name|Denumire|Nume|名称|名字" },
	{ KT_T_CATALOGUE, "kind", "Вид|Тип|Kind|Tip|类型" },
	{ KT_T_CATALOGUE, "substances", "Состав|Вещества|Ingredients|Ingrediente|Substanțe|成分" },
	{ KT_T_CATALOGUE, "contraindications", "Противопоказания|Contraindicații|禁忌|禁忌症" },
	{ KT_T_CATALOGUE, "medications", "Лекарства|Препараты|Medicamente|用药" },
	{ KT_T_CATALOGUE, "price", "Цена|Стоимость|Preț|Pret|价格" },
	{ KT_T_CATALOGUE, "aliases", "Другие названия|Синонимы|Alte denumiri|别名" },
};

#define NALIASES (sizeof(aliases) / sizeof(aliases[0]))

/* Whether the key of one '|'-separated name n[0..len) is key. */
static int name_is(const char *n, size_t len, const char *key)
{
	char buf[128], *k;
	int same;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, n, len);
	buf[len] = '\0';
	if ((k = kt_text_words_key(buf)) == NULL)
		return 0;
	same = strcmp(k, key) == 0;
	free(k);
	return same;
}

static int names_hold(const char *names, const char *key)
{
	while (*names) {
		size_t k = strcspn(names, "|");

		if (name_is(names, k, key))
			return 1;
		names += k + (names[k] == '|');
	}
	return 0;
}

/* The non-field columns of type, by their own names (id, type, client, merged_into). */
static const char *special_named(uint8_t type, const char *key)
{
	static const char *const own[] = { "id", "type", "merged_into", "client" };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		if (!name_is(own[i], strlen(own[i]), key))
			continue;
		if (i == 2 && type != KT_T_CLIENT)
			return NULL;
		if (i == 3 && type != KT_T_VISIT)
			return NULL;
		return own[i];
	}
	return NULL;
}

const char *kt_import_column(uint8_t type, const char *cell)
{
	const struct kt_field *f[64];
	const char *hit = NULL;
	char *key = kt_text_words_key(cell);
	size_t n = kt_schema_fields(type, f, 64);

	if (key == NULL)
		return strcmp(cell, "#") == 0 ? "row_number" : NULL;
	for (size_t i = 0; i < n && hit == NULL; i++)
		if (name_is(f[i]->name, strlen(f[i]->name), key))
			hit = f[i]->name;
	if (hit == NULL)
		hit = special_named(type, key);
	for (size_t i = 0; i < NALIASES && hit == NULL; i++)
		if ((aliases[i].type == type || aliases[i].type == 0) && names_hold(aliases[i].names, key))
			hit = aliases[i].field;
	free(key);
	return hit;
}

/* Appends to out[*n..cap), keeping it NUL-terminated; stops quietly when full. */
static void put(char *out, size_t cap, size_t *n, const char *fmt, const char *s)
{
	int k = *n < cap ? snprintf(out + *n, cap - *n, fmt, s) : 0;

	if (k > 0)
		*n = *n + (size_t)k < cap ? *n + (size_t)k : cap - 1;
}

/* Display columns of UTF-8 s: code points, two for CJK ideographs (U+2E80 on). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			w += *p >= 0xe2 && (*p > 0xe2 || p[1] >= 0xba) ? 2 : 1;
	return w;
}

/* The parts a card's name may come in, in the order help lists them. */
static const char *const name_parts[] = { "surname", "given_name", "patronymic" };

const char *kt_import_name_part(const char *column)
{
	for (size_t i = 0; column != NULL && i < sizeof(name_parts) / sizeof(name_parts[0]); i++)
		if (strcmp(column, name_parts[i]) == 0)
			return name_parts[i];
	return NULL;
}

/* Appends "  field: alias, alias, ..." and a new line, wrapped under the field at 78 columns. */
static void put_aliases(uint8_t type, const char *field, char *out, size_t cap, size_t *n)
{
	size_t col = 2 + strlen(field);

	put(out, cap, n, "  %s", field);
	for (size_t k = 0; k < NALIASES; k++) {
		const char *s = aliases[k].names, *sep = ": ";

		if (aliases[k].type != type || strcmp(aliases[k].field, field) != 0)
			continue;
		while (*s) {
			size_t len = strcspn(s, "|");
			char one[128];

			snprintf(one, sizeof(one), "%.*s", (int)len, s);
			if (col + 2 + width(one) > 78) { /* wrap, indented under the field */
				put(out, cap, n, "%s", sep[0] == ',' ? ",\n    " : ":\n    ");
				col = 4;
			} else {
				put(out, cap, n, "%s", sep);
				col += 2;
			}
			put(out, cap, n, "%s", one);
			col += width(one);
			sep = ", ";
			s += len + (s[len] == '|');
		}
	}
	put(out, cap, n, "%s", "\n");
}

size_t kt_import_columns_text(uint8_t type, char *out, size_t cap)
{
	const struct kt_field *f[64];
	size_t n = 0, nf = kt_schema_fields(type, f, 64);

	if (cap == 0)
		return 0;
	out[0] = '\0';
	for (size_t i = 0; i < nf; i++) {
		put_aliases(type, f[i]->name, out, cap, &n);
		if (type != KT_T_CLIENT || strcmp(f[i]->name, "name") != 0)
			continue;
		put(out, cap, &n, "%s", "  or the name in parts, joined in the order of the file's "
		    "columns, one space\n  between those not empty (a file has a name column "
		    "or parts, not both):\n");
		for (size_t k = 0; k < sizeof(name_parts) / sizeof(name_parts[0]); k++)
			put_aliases(type, name_parts[k], out, cap, &n);
	}
	return n;
}

size_t kt_import_column_names(uint8_t type, char *out, size_t cap)
{
	const struct kt_field *f[64];
	size_t n = 0, nf = kt_schema_fields(type, f, 64);

	if (cap == 0)
		return 0;
	out[0] = '\0';
	for (size_t i = 0; i < nf; i++)
		put(out, cap, &n, i == 0 ? "%s" : ", %s", f[i]->name);
	return n;
}

int kt_import_columns_clash(char *out, size_t cap)
{
	for (int t = 1; t <= KT_T_MAX; t++) {
		for (size_t i = 0; i < NALIASES; i++) {
			const char *s = aliases[i].names;

			if (aliases[i].type != t && aliases[i].type != 0)
				continue;
			while (*s) {
				size_t len = strcspn(s, "|");
				char one[128];
				const char *hit;

				snprintf(one, sizeof(one), "%.*s", (int)len, s);
				hit = kt_import_column((uint8_t)t, one);
				if (hit == NULL || strcmp(hit, aliases[i].field) != 0) {
					snprintf(out, cap, "%s: '%s' of %s is %s", kt_schema_type_name(t),
						 one, aliases[i].field, hit ? hit : "nothing");
					return 1;
				}
				s += len + (s[len] == '|');
			}
		}
	}
	return 0;
}
