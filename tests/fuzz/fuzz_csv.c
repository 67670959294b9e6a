/*
 * fuzz_csv.c - libFuzzer entry point for the CSV reader of the user import
 * (gateway/cli/csv.h): reads every record of the input and checks the
 * reader's own promises (bounded fields, progress, line numbers that never
 * go back). Not a test of the import rules themselves (tests/unit/cli).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cli/csv.h"
#include "gateway/util/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct idg_csv_record rec;
	struct idg_csv c;
	char err[128];
	int i, st, last_line = 0, n = 0;

	idg_csv_init(&c, (const char *)data, size);
	while ((st = idg_csv_next(&c, &rec, err, sizeof(err))) != IDG_NOTFOUND) {
		if (st != IDG_OK && st != IDG_INVALID)
			abort();
		/* Each record starts on a later line than the one before. */
		if (rec.line <= last_line)
			abort();
		last_line = rec.line;
		if (st == IDG_OK) {
			if (rec.nfields < 1 || rec.nfields > IDG_CSV_MAX_FIELDS)
				abort();
			for (i = 0; i < rec.nfields; i++)
				if (strlen(rec.fields[i]) > IDG_CSV_MAX_FIELD_BYTES)
					abort();
		} else if (err[0] == '\0') {
			abort();	/* a bad record always says why */
		}
		if (++n > (int)size + 1)
			abort();	/* no progress */
	}
	return 0;
}
