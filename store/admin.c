/*
 * store/admin.c - what the programs' admin and review commands ask of the
 * store besides records: a whole compacted copy (kt-hub backup), the bytes
 * its pages take, and the version of one field (who last wrote it), so no
 * program reads an LMDB table itself.
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int kt_store_copy(struct kt_store *st, const char *dir, struct kt_err *err)
{
	int rc = mdb_env_copy2(st->env, dir, MDB_CP_COMPACT);

	if (rc == 0)
		return 0;
	return kt_err_set(err, rc == ENOSPC || rc == EDQUOT ? KT_ENOSPC : KT_EIO, "%s",
			  mdb_strerror(rc));
}

uint64_t kt_store_used_bytes(struct kt_store *st)
{
	MDB_envinfo info;
	MDB_stat stat;

	if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &stat) != 0)
		return 0;
	return ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
}

int kt_store_field_version(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			   uint16_t field, struct kt_version *ver)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, field, NULL), k }, v;

	if (mdb_get(txn, st->rec, &key, &v) != 0 || v.mv_size < KT_VER_BYTES)
		return KT_ENOTFOUND;
	kt_version_get(ver, v.mv_data);
	return 0;
}
