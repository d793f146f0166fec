/* A fresh store in a new temporary directory, for cmocka setup/teardown
 * (the store, store-cache and server-table tests).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_TESTS_STORE_FIXTURE_H
#define ES_TESTS_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include "eseal/store.h"

typedef struct fixture {
	char dir[64];
	char path[128];
	es_store *st;
} fixture;

/* *out: a store at <mkdtemp(prefix-XXXXXX)>/t.db; 0, or -1. */
static inline int store_fixture_open(fixture **out, const char *prefix)
{
	fixture *f = calloc(1, sizeof(*f));

	*out = f;
	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/%s-XXXXXX", prefix);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	return es_store_open(&f->st, f->path, 1, NULL) < 0 ? -1 : 0;
}

static inline int teardown(void **state)
{
	fixture *f = *state;
	char cmd[160];

	es_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

#endif
