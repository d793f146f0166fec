/* SPDX-License-Identifier: AGPL-3.0-or-later */
#include "fzctx.h"

static void quiet(void *user, const char *message)
{
	(void)user;
	(void)message;
}

fz_context *es_fz_new_context(void)
{
	fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);

	if (ctx == NULL)
		return NULL;
	fz_set_error_callback(ctx, quiet, NULL);
	fz_set_warning_callback(ctx, quiet, NULL);
	return ctx;
}
