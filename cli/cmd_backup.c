/* eseal backup / eseal restore (docs/backup.md).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "eseal/backup.h"

int cmd_backup(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {{"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *out = NULL;
	es_backup_info info;
	es_err err = ES_ERR_INIT;
	int ch;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'h':
			printf("usage: eseal [--data DIR] backup --out NEWDIR\n\n"
			       "Copy the data directory into NEWDIR (which must not exist), safely while\n"
			       "'eseal serve' runs: eseal.db (one consistent state), documents/, BACKUP.json and\n"
			       "MANIFEST.sha256 (check it with: cd NEWDIR && sha256sum -c MANIFEST.sha256).\n"
			       "The master key is NOT copied: keep DATA/master.key apart from the backups.\n");
			return EXIT_OK;
		default: return cli_bad_option("backup", argv);
		}
	}
	if (out == NULL || optind < argc)
		return cli_usage("usage: eseal backup --out NEWDIR; see 'eseal backup --help'");
	if (es_backup(es_data_dir(c->data_dir), out, &info, &err) < 0)
		return cli_fail(&err);
	printf("eseal: backed up %zu file%s (%" PRIu64 " bytes) to %s\n", info.files, info.files == 1 ? "" : "s",
	       info.bytes, out);
	fprintf(stderr, "eseal: the master key is not in the backup; keep %s/master.key apart from it\n",
		es_data_dir(c->data_dir));
	return EXIT_OK;
}

int cmd_restore(cli_ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {{"from", required_argument, 0, 'f'},
					   {"master-key", required_argument, 0, 'k'},
					   {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *from = NULL, *kek = NULL;
	es_backup_info info;
	es_err err = ES_ERR_INIT;
	int ch;

	CLI_GETOPT_RESET();
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 'k': kek = optarg; break;
		case 'h':
			printf("usage: eseal [--data DIR] restore --from BACKUP --master-key FILE\n\n"
			       "Restore a backup made by 'eseal backup' into the data directory (absent or\n"
			       "empty).  Every file must match MANIFEST.sha256, the store must pass SQLite's\n"
			       "integrity check and the audit chain check, and FILE (the master.key of the\n"
			       "directory that was backed up; copied in as DIR/master.key) must open the platform\n"
			       "keys.  Without --master-key, $ESEAL_MASTER_KEY_FILE is used.  On any failure\n"
			       "nothing is written to DIR.\n");
			return EXIT_OK;
		default: return cli_bad_option("restore", argv);
		}
	}
	if (from == NULL || optind < argc)
		return cli_usage("usage: eseal restore --from BACKUP --master-key FILE; see 'eseal restore --help'");
	if (es_restore(from, es_data_dir(c->data_dir), kek, &info, &err) < 0)
		return cli_fail(&err);
	printf("eseal: restored %zu file%s (%" PRIu64 " bytes, %" PRId64 " audit entries, chain intact) into %s\n",
	       info.files, info.files == 1 ? "" : "s", info.bytes, info.audit_entries, es_data_dir(c->data_dir));
	return EXIT_OK;
}
