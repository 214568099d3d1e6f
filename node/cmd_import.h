/*
 * cmd_import.h - the import command's state, shared by its two files:
 * cmd_io.c reads and checks the rows, cmd_import_write.c writes them and
 * keeps the note of how far a file got.  Not for the rest of the node.
 */
#ifndef KT_CMD_IMPORT_H
#define KT_CMD_IMPORT_H

#include "cli.h"
#include "import.h"

struct importer {
	struct kt_cli *cli;
	struct kt_import im;
	const char *path;
	char branch[KT_BRANCH_BYTES_MAX + 1]; /* home_branch of new CSV cards, branch of visits */
	char currency[KT_SETTING_BYTES_MAX];  /* currency of CSV visits that name none */
	const char *encoding;                 /* import --encoding NAME: the file's character set */
	struct kt_draft *d;                   /* KT_BATCH_MAX drafts */
	struct kt_id *alias;                  /* their merge targets (ALIAS args) */
	size_t total, done;
	int tty, shown;
	const char *override, *by;            /* import --override REASON [--by NAME] */
	int as_recorded;                      /* import --as-recorded: a restore */
	int no_duplicates;                    /* import --no-duplicates: shared phones are bad rows */
	int again;                            /* import --again: a file imported whole before */
	int future;                           /* import --future: visits dated ahead on purpose */
	/*
	 * How far this file got (meta "import:<hash of type and bytes>", written
	 * with each batch): rows of pass < from_pass, or of from_pass before
	 * from_row, were written by an earlier run that stopped.
	 */
	char note_name[48];
	uint8_t from_pass;
	uint64_t from_row, before;            /* before: records that run wrote */
};

/*
 * The note's bytes (meta x->note_name): pass u8, next row u64, records
 * written u64, finished ms u64 (0: not finished).
 */
#define IMPORT_NOTE_BYTES 25

/*
 * Reads how far an earlier run of this file got.  Returns 0 to go on (from
 * the start, or resuming), or 1 (said) for a file imported whole before
 * without --again, or changed since a run of it stopped.
 */
int kt_importer_resume(struct importer *x);
/*
 * Writes the good rows that own themselves (clients = 1: cards, catalogue
 * entries) or the rest (0), KT_BATCH_MAX drafts per durable transaction,
 * each with the note of how far it got.  0, or 1 (said).
 */
int kt_importer_write(struct importer *x, int clients);
/* Notes the file imported whole (best effort: a failure only leaves it resumable). */
void kt_importer_finished(struct importer *x);

#endif
