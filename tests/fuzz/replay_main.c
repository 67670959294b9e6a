/*
 * replay_main.c - runs a fuzz target's LLVMFuzzerTestOneInput over every
 * file of a corpus folder, so ctest replays the corpora on each run without
 * libFuzzer. Exits non-zero if the folder is missing or empty (a replay that
 * tests nothing must fail). Not a fuzzer: it generates no inputs.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (argc != 2 || (d = opendir(argv[1])) == NULL) {
		fprintf(stderr, "usage: %s CORPUS_DIR (a readable folder)\n", argv[0]);
		return 2;
	}
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		uint8_t *buf;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		buf = malloc((size_t)st.st_size + 1);
		if (buf != NULL && fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
			LLVMFuzzerTestOneInput(buf, (size_t)st.st_size);
			n++;
		}
		free(buf);
		fclose(f);
	}
	closedir(d);
	printf("replayed %d inputs from %s\n", n, argv[1]);
	return n > 0 ? 0 : 1;
}
