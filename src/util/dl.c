/* Shared libraries loaded on first use: see dl.h.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include "util/dl.h"

static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

static int dl_load(es_dl_lib *lib)
{
	void *h = NULL;
	size_t i;

	for (i = 0; h == NULL && lib->sonames[i] != NULL; i++)
		h = dlopen(lib->sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(lib->why, sizeof(lib->why), "cannot load %s (install the Debian package %s)",
			 lib->sonames[0], lib->package);
		return -1;
	}
	for (i = 0; i < lib->nsyms; i++) {
		*lib->syms[i].slot = dlsym(h, lib->syms[i].name);
		if (*lib->syms[i].slot == NULL) {
			snprintf(lib->why, sizeof(lib->why), "%s has no %s: too old?",
				 lib->sonames[0], lib->syms[i].name);
			return -1;
		}
	}
	/* The handle stays open for the life of the process. */
	if (lib->after_load != NULL)
		lib->after_load();
	return 1;
}

int es_dl_require(es_dl_lib *lib, es_err *err)
{
	/* Loaded: no lock (SQLite goes through here at every call, from every
	 * server thread).  The release store below publishes the resolved
	 * symbols with the state. */
	int state = __atomic_load_n(&lib->state, __ATOMIC_ACQUIRE);

	if (state == 1)
		return 0;
	pthread_mutex_lock(&dl_lock);
	if (lib->state == 0)
		__atomic_store_n(&lib->state, dl_load(lib), __ATOMIC_RELEASE);
	state = lib->state;
	pthread_mutex_unlock(&dl_lock);
	if (state < 0)
		return es_err_set(err, ES_ENOTSUP, "%s", lib->why);
	return 0;
}
