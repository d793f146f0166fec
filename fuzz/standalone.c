/* Replays inputs through a fuzz target without libFuzzer, so `make test`
 * runs every target over its seeds and crashers (as libgit2's
 * fuzzers/standalone_driver.c does).  Arguments: files or directories.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (64u << 20)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || (unsigned long)n > REPLAY_MAX_INPUT) {
		fclose(f);
		return 0; /* skip huge inputs */
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 1;
}

static int run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[4096];
	int count = 0;

	if (stat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return run_file(path) > 0;
	d = opendir(path);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		count += run_path(sub);
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	int i, n = 0;

	for (i = 1; i < argc; i++)
		n += run_path(argv[i]);
	printf("replayed %d inputs\n", n);
	return n > 0 ? 0 : 1;
}
