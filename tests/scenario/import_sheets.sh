#!/bin/sh
# import_sheets.sh - spreadsheets as salons really have them (issue 13),
# through the real kt-node: headers in the staff's language, phones Excel
# rounded, files that are not CSV or not UTF-8, a NUL in a cell, visits
# from a spreadsheet, and export --csv read back by import.
# Prints "ok - ..." or "not ok - ..." per check; exits non-zero on a failure.
. "$(dirname "$0")/lib.sh"
export KT_TODAY=2026-11-22
A="$T/a"
# unchanged NODE: the node's export is the one saved in $T/before
snap() { "$KT" -d "$1" export >"$T/before"; }
# refuses_ COMMAND...: exits non-zero (stderr, any lines, in $T/err)
refuses_() { ! "$@" >"$T/out" 2>"$T/err"; }
unchanged() { "$KT" -d "$1" export >"$T/after" && cmp -s "$T/before" "$T/after"; }

check "init node A" "$KT" -d "$A" init --branch Centre --country RU

# Headers in Russian, Romanian, Chinese and English.
printf '\357\273\277ФИО;Телефон;Дата рождения;Аллергии\r\nАнна Иванова;+7 912 345-67-89;1990-11-25;латекс, орехи\r\n' >"$T/ru.csv"
printf 'Nume,Telefon,Data nașterii,Alergii,E-mail\nȘtefania Popescu,+40 721 234 567,1985-12-30,parfum,stefi@example.ro\n' >"$T/ro.csv"
printf '姓名,手机,生日,过敏\n王小明,+86 138 1234 5678,1992-05-01,花粉\n' >"$T/zh.csv"
printf 'Name,Mobile,Date of birth,Allergies,Skin type\nJane Doe,+44 7700 900123,1980-01-02,nickel,Dry\n' >"$T/en.csv"
for l in ru ro zh en; do
	check "a $l header is read ($l.csv)" "$KT" -d "$A" import "$T/$l.csv"
done
"$KT" -d "$A" client find 'иванова' --json >"$T/f"
contains "the Russian card is found, with its allergies" "$T/f" 'Анна Иванова'
anna=$(grep -o '"id":"[0-9A-Z]*"' "$T/f" | head -1 | cut -d'"' -f4)
"$KT" -d "$A" client show "$anna" --json >"$T/anna"
contains "Аллергии is allergies" "$T/anna" '"allergies":\["латекс","орехи"\]'
contains "Дата рождения is birthday" "$T/anna" '"birthday":"1990-11-25"'
"$KT" -d "$A" client find 'stefi@example.ro' >"$T/f"
contains "E-mail is email" "$T/f" 'Popescu'
"$KT" -d "$A" client find '小明' >"$T/f"
contains "手机 is phone" "$T/f" '+86 138 1234 5678'
"$KT" -d "$A" import --help >"$T/help"
contains "import --help shows the aliases" "$T/help" "phone: Телефон, Тел, Тел."
contains "import --help shows the Chinese ones" "$T/help" "姓名"

# The name in separate columns, as old systems export it: joined in the file's order.
P="$T/parts"
check "init node P" "$KT" -d "$P" init --branch Centre --country RU
printf 'Фамилия;Имя;Отчество;Телефон\r\nИванова;Анна;Сергеевна;+7 912 345-67-01\r\nПетрова;Ольга;;+7 912 345-67-02\r\n' >"$T/p-ru.csv"
printf 'Nume,Prenume,Telefon\nPopescu,Maria,+40 721 234 501\n' >"$T/p-ro.csv"
printf '姓,名,手机\n王,芳,+86 138 1234 5601\n' >"$T/p-zh.csv"
printf 'First name,Middle name,Last name,Mobile\nJane,Ann,Doe,+44 7700 900101\n' >"$T/p-en.csv"
for l in ru ro zh en; do
	check "a $l file with the name in parts is read (p-$l.csv)" "$KT" -d "$P" import "$T/p-$l.csv"
done
"$KT" -d "$P" client list >"$T/pl"
contains "Фамилия Имя Отчество are joined in that order" "$T/pl" "Иванова Анна Сергеевна"
"$KT" -d "$P" client list --json >"$T/plj"
contains "an empty patronymic adds no blank" "$T/plj" '"name":"Петрова Ольга"'
contains "one space between the parts" "$T/plj" '"name":"Иванова Анна Сергеевна"'
contains "Nume, Prenume" "$T/pl" "Popescu Maria"
contains "姓, 名 (no space between Chinese parts)" "$T/pl" "王芳"
contains "First, Middle, Last name" "$T/pl" "Jane Ann Doe"
printf 'Фамилия;Имя;Телефон\n;;+7 912 345-67-09\n' >"$T/p-none.csv"
refuses_ "$KT" -d "$P" import "$T/p-none.csv" && ok "a row whose parts are all empty is a bad row" ||
	bad "a row whose parts are all empty is a bad row"
contains "saying she needs a name" "$T/err" "line 2: a client needs a name"
printf 'ФИО;Фамилия;Телефон\nАнна Иванова;Иванова;+7 912 345-67-09\n' >"$T/p-both.csv"
refuse "a whole name column and part columns refuse the file" "$KT" -d "$P" import "$T/p-both.csv"
contains "naming both" "$T/err" "column 'ФИО' is the whole name and column 'Фамилия' a part of it"
printf 'Фамилия;Имя;Телефон;Дата;Услуга\nИванова;Анна;+7 912 345-67-01;2026-11-20;Маникюр\n' >"$T/p-visits.csv"
check "a visits file names her by the parts as by a name" "$KT" -d "$P" import "$T/p-visits.csv"
"$KT" -d "$P" import --help >"$T/phelp"
contains "import --help shows the surname" "$T/phelp" "  surname: Фамилия, Nume, "
contains "the given name" "$T/phelp" "  given_name: Имя, Prenume, "
contains "and the patronymic" "$T/phelp" "  patronymic: Отчество, "
check "export --csv of the node" "$KT" -d "$P" export --csv --out "$T/pcsv"
head -1 "$T/pcsv/clients.csv" | grep -q ';name;' && ! head -1 "$T/pcsv/clients.csv" | grep -q 'surname' &&
	ok "export --csv keeps one name column" || bad "export --csv keeps one name column"
contains "holding the joined name" "$T/pcsv/clients.csv" "Иванова Анна Сергеевна"

snap "$A"
printf 'ФИО;Любимый цвет\nОльга;red\n' >"$T/col.csv"
refuse "an unmatched column refuses the file in one line" "$KT" -d "$A" import "$T/col.csv"
contains "naming the column and the known ones" "$T/err" \
	"unknown column 'Любимый цвет' (the columns of a file of clients are name, phone, email, birthday"

# Phones Excel rounded: 7,91235E+10 names nobody.
printf 'ФИО;Телефон\nМария Первая;7,91235E+10\nМария Вторая;7.91235E+10\nМария Третья;+7 912 000 00 01\n' >"$T/sci.csv"
check "a file with phones in scientific notation is refused" refuses_ "$KT" -d "$A" import "$T/sci.csv"
contains "the rounded phone's line is named" "$T/err" "^line 2: phone '7,91235E+10' was rounded by the spreadsheet"
contains "and the other form's" "$T/err" "^line 3: phone '7.91235E+10' was rounded"
contains "nothing imported" "$T/err" "nothing imported"
check "and nothing was written" unchanged "$A"
"$KT" -d "$A" import "$T/sci.csv" --skip-bad 2>"$T/err"
contains "--skip-bad imports the rows without the phone" "$T/err" \
	"imported 3 records .*, 2 rows imported without the value named above"
contains "and still reports them" "$T/err" "^line 2: phone '7,91235E+10'"
"$KT" -d "$A" client find 'Мария' --json >"$T/f"
lacks "the rounded phone is not kept" "$T/f" 'E+10'
"$KT" -d "$A" duplicates >"$T/dup"
lacks "two clients of a rounded phone are not paired" "$T/dup" 'Мария'

# Files that are not CSV, or not UTF-8: one line saying what it is.
snap "$A"
printf 'PK\003\004\024\000\006\000\010\000\000\000!\000' >"$T/book.xlsx"
refuse "an .xlsx file is refused in one line" "$KT" -d "$A" import "$T/book.xlsx"
contains "saying it looks like an Excel .xlsx file" "$T/err" "this looks like an Excel .xlsx file"
printf '\320\317\021\340\241\261\032\341\000\000\000\000' >"$T/book.xls"
refuse "an .xls file is refused in one line" "$KT" -d "$A" import "$T/book.xls"
contains "saying it is an old Excel file" "$T/err" "old Excel .xls file"
printf '[{"name":"Анна","phone":"+7 912"}]' >"$T/plain.json"
refuse "a JSON array of plain objects is refused in one line" "$KT" -d "$A" import "$T/plain.json"
contains "saying what it looks like and what is wanted" "$T/err" "line 1: this looks like a JSON array of plain objects, not of records"
# ФИО;Аллергии / Ольга Смирнова;латекс in Windows-1251
printf '\324\310\316;\300\353\353\345\360\343\350\350\r\n\316\353\374\343\340 \321\354\350\360\355\356\342\340;\353\340\362\345\352\361\r\n' >"$T/cp1251.csv"
refuse "a Windows-1251 file is refused in one line" "$KT" -d "$A" import "$T/cp1251.csv"
contains "saying it is not UTF-8 and how to save it" "$T/err" 'line 1: the file is not UTF-8 text.*save it as "CSV UTF-8", or import it with --encoding cp1251'
check "refused files changed nothing" unchanged "$A"
check "import --encoding cp1251 reads it" "$KT" -d "$A" import "$T/cp1251.csv" --encoding cp1251
"$KT" -d "$A" client find 'смирнова' --json >"$T/f"
contains "with its Cyrillic name" "$T/f" 'Ольга Смирнова'
refuse "--encoding on a UTF-8 file is refused" "$KT" -d "$A" import "$T/ru.csv" --encoding cp1251 --again
# Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated, CRLF
printf 'ФИО\tТелефон\r\nВера Юникодова\t+7 912 000 00 07\r\n' | iconv -f UTF-8 -t UTF-16LE >"$T/u16.body"
{ printf '\377\376'; cat "$T/u16.body"; } >"$T/u16.txt"
check "a UTF-16 file with a BOM (Excel's Unicode text) is read" "$KT" -d "$A" import "$T/u16.txt"
"$KT" -d "$A" client find 'юникодова' >"$T/f"
contains "with its tab-separated cells" "$T/f" '+7 912 000 00 07'
# a NUL byte in a cell
snap "$A"
printf 'name;notes\nНина;ok\nЗоя;se\000cret\n' >"$T/nul.csv"
check "a NUL byte in a cell makes the file refused" refuses_ "$KT" -d "$A" import "$T/nul.csv"
contains "naming its line and column" "$T/err" "^line 3: column 2 holds a NUL byte"
check "and nothing was written" unchanged "$A"
# CRLF, quoted newlines, trailing empty columns, empty lines
printf 'ФИО;Телефон;Заметки;;\r\n\r\nЛиза Хвостова;+7 912 000 00 08;"две\r\nстроки";;\r\n;;;;\r\n\r\n' >"$T/tail.csv"
check "trailing empty columns, empty lines and a quoted newline import" "$KT" -d "$A" import "$T/tail.csv"
"$KT" -d "$A" client find хвостова --json | grep -o "\"id\":\"[0-9A-Z]*\"" | cut -d\" -f4 >"$T/id"
"$KT" -d "$A" client show "$(cat "$T/id")" --json >"$T/f"
contains "the quoted newline is kept" "$T/f" 'две\\nстроки'

# Years of history: a CSV of visits, its client named by phone, email or id.
V="$T/v"
check "init node V" "$KT" -d "$V" init --branch Centre --country RU
printf 'ФИО;Телефон;E-mail;Аллергии\nАнна Визитова;+7 912 111 22 33;anna@v.ru;латекс\nОльга Двойная;+7 912 555 66 77;;\nОля Двойная;8 912 555 66 77;;\n' >"$T/vc.csv"
check "the cards are imported first" "$KT" -d "$V" import "$T/vc.csv"
anna=$("$KT" -d "$V" client find визитова --json | grep -o '"id":"[0-9A-Z]*"' | cut -d'"' -f4)
printf 'Телефон;Дата;Услуга;Сумма;Мастер\n8 (912) 111-22-33;2024-03-01;Пилинг;1500,50;Оля\n+7 912 111 22 33;2025-06-10;Латексная маска;2000;Оля\n' >"$T/visits.csv"
"$KT" -d "$V" import "$T/visits.csv" >"$T/out" 2>"$T/err"
check "a CSV of visits named by phone is imported" test $? -eq 0
contains "its visits are counted" "$T/err" "imported 2 records from"
contains "a past visit the check refuses today comes as recorded, with a warning" "$T/err" \
	"^warning: line 3: the visit of 2025-06-10 would be refused today"
"$KT" -d "$V" client show "$anna" --json >"$T/vs"
contains "the visit is on her card" "$T/vs" '"services":"Пилинг"'
contains "with its amount (a decimal comma)" "$T/vs" '"amount":"1500.50"'
contains "and this branch" "$T/vs" '"branch":"Centre"'
snap "$V"
printf 'Телефон;Дата;Услуга\n+7 912 999 99 99;2024-03-01;Пилинг\n+7 912 555 66 77;2024-03-01;Массаж\nnobody@v.ru;2024-03-01;x\n' >"$T/vbad.csv"
check "visits of no card, or of a phone on two cards, are refused" refuses_ "$KT" -d "$V" import "$T/vbad.csv"
contains "a phone no card has is named with its line" "$T/err" "^line 2: no card has phone '+7 912 999 99 99' (import the cards first)"
contains "a phone on two cards is named with its line" "$T/err" "^line 3: phone '+7 912 555 66 77' is on 2 cards"
contains "an unreadable phone names nobody" "$T/err" "^line 4: phone 'nobody@v.ru' is not a number"
check "and nothing was written" unchanged "$V"
printf 'E-mail;ФИО;Дата;Услуга\nANNA@v.ru;Ольга;2024-03-02;Массаж\n' >"$T/vname.csv"
check "a name that does not fit the card found is refused" refuses_ "$KT" -d "$V" import "$T/vname.csv"
contains "saying whose card it found" "$T/err" "^line 2: the card found is 'Анна Визитова', not 'Ольга'"
printf 'client,date,services\n%s,2026-11-22,Латексная маска\n' "$anna" >"$T/vtoday.csv"
check "a visit of today the check refuses is a bad row" refuses_ "$KT" -d "$V" import "$T/vtoday.csv"
contains "saying why, at the chair" "$T/err" "^line 2: visit refused by the safety check: .*латекс"
check "and nothing was written" unchanged "$V"
check "import --override records it" "$KT" -d "$V" import "$T/vtoday.csv" --override 'patch test done' --by Olga

# export --csv: clients and visits as a spreadsheet opens them, read back by import.
E="$T/e"; F="$T/f2"; Z="$T/z"
"$KT" -d "$E" init --branch Centre --country RU >/dev/null
printf 'ФИО;Телефон;Аллергии;Заметки\nАнна Экспортова;+7 912 000 11 99;латекс (сыпь, отёк), орехи;"a; ""b""\r\nc"\n Ира Пробел ;;;\n' >"$T/ec.csv"
"$KT" -d "$E" import "$T/ec.csv" 2>/dev/null
ea=$("$KT" -d "$E" client find экспортова --json | grep -o '"id":"[0-9A-Z]*"' | cut -d'"' -f4)
"$KT" -d "$E" visit add "$ea" --service 'Пилинг, лёгкий' --amount 1500.5 --date 2025-01-01 >/dev/null
"$KT" -d "$E" visit add "$ea" --service 'Массаж' --amount 2000 --date 2025-02-01 --set specialist='Оля "Мастер"' >/dev/null
"$KT" -d "$E" export --csv --out "$T/csv" 2>"$T/err"
check "export --csv writes two files" test -s "$T/csv/clients.csv" -a -s "$T/csv/visits.csv"
contains "and says what it wrote" "$T/err" "^wrote 2 cards to .*clients.csv and 2 visits to .*visits.csv (separator ';')"
check "clients.csv begins with a UTF-8 BOM" sh -c "head -c 3 '$T/csv/clients.csv' | od -An -tx1 | grep -q 'ef bb bf'"
contains "a node of RU separates by ';'" "$T/csv/clients.csv" '^.\{0,3\}id;name;phone;email;birthday'
check "lines end in CRLF" sh -c "head -1 '$T/csv/clients.csv' | od -An -c | grep -q '[\\]r'"
contains "a list's entries are joined by '; ', quoted" "$T/csv/clients.csv" '"латекс (сыпь, отёк); орехи"'
contains "a quote is doubled inside quotes" "$T/csv/clients.csv" '"a; ""b""'
contains "an amount has a decimal comma under ';'" "$T/csv/visits.csv" ';1500,50;RUB;'
contains "a cell holding the separator is quoted" "$T/csv/visits.csv" ';Пилинг, лёгкий;'
contains "a visit names her card and her name" "$T/csv/visits.csv" ";$ea;Анна Экспортова;2025-01-01;"
refuse "export --csv into a folder holding them is refused" "$KT" -d "$E" export --csv --out "$T/csv"
refuse "export --csv without --out is refused" "$KT" -d "$E" export --csv
"$KT" -d "$F" init --branch North >/dev/null
check "import reads clients.csv back" "$KT" -d "$F" import "$T/csv/clients.csv"
check "and visits.csv" "$KT" -d "$F" import "$T/csv/visits.csv"
"$KT" -d "$E" export >"$T/e.json"; "$KT" -d "$F" export >"$T/f.json"
check "export --csv -> import -> export --json gives the same bytes" cmp -s "$T/e.json" "$T/f.json"
"$KT" -d "$F" export --csv --out "$T/csv2" 2>/dev/null
check "and the same CSV files again" sh -c "cmp -s '$T/csv/clients.csv' '$T/csv2/clients.csv' && cmp -s '$T/csv/visits.csv' '$T/csv2/visits.csv'"
"$KT" -d "$Z" init --branch Beijing --country CN >/dev/null
"$KT" -d "$Z" import "$T/csv/clients.csv" 2>/dev/null
"$KT" -d "$Z" import "$T/csv/visits.csv" 2>/dev/null
"$KT" -d "$Z" export --csv --out "$T/csvz" 2>/dev/null
contains "a node of CN separates by ','" "$T/csvz/clients.csv" '^.\{0,3\}id,name,phone,email,birthday'
contains "with a decimal point" "$T/csvz/visits.csv" ',1500.50,RUB,'

finish
