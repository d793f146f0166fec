/* The web page: plain files from the web directory (docs/web.md).
 * Only GET/HEAD, only known file types, no dot-dot, no hidden files, and the
 * resolved path must stay inside the directory (symlinks included).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_int.h"
#include "util/util.h"

#define ES_STATIC_MAX_BYTES (16 * 1024 * 1024)
#define ES_STATIC_PATH_MAX 256

static const struct { const char *ext, *type; } mimes[] = {
	{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
	{".json", "application/json"}, {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
};

const char *es_http_mime(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot == NULL || strchr(dot, '/') != NULL)
		return NULL;
	for (i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
		if (strcmp(dot, mimes[i].ext) == 0)
			return mimes[i].type;
	return NULL;
}

int es_http_static_path_ok(const char *path)
{
	size_t i, n = strlen(path);

	if (n == 0 || n > ES_STATIC_PATH_MAX || path[0] != '/')
		return 0;
	for (i = 0; i < n; i++) {
		char c = path[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '.' || c == '-' || c == '_'))
			return 0;
		/* no empty segments, no ".", "..", or hidden names */
		if (c == '/' && (path[i + 1] == '/' || path[i + 1] == '.'))
			return 0;
	}
	return 1;
}

static const char *default_web_dir(void)
{
	const char *env = getenv("ESEAL_WEB_DIR");

	if (env != NULL && *env != '\0')
		return env;
#ifdef ESEAL_WEB_DIR
	return ESEAL_WEB_DIR;
#else
	return NULL;
#endif
}

int es_http_static(const char *web_dir, const char *method, const char *path, es_hresp *r)
{
	char want[PATH_MAX], real_dir[PATH_MAX], real_file[PATH_MAX];
	const char *type;
	es_buf b = {0};
	size_t dl;

	if (web_dir == NULL)
		web_dir = default_web_dir();
	if (web_dir == NULL || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
		return -1;
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (!es_http_static_path_ok(path) || (type = es_http_mime(path)) == NULL)
		return -1;
	if (snprintf(want, sizeof(want), "%s%s", web_dir, path) >= (int)sizeof(want) ||
	    realpath(web_dir, real_dir) == NULL || realpath(want, real_file) == NULL)
		return -1;
	dl = strlen(real_dir);
	if (strncmp(real_file, real_dir, dl) != 0 || real_file[dl] != '/')
		return -1;
	if (es_file_read(&b, real_file, ES_STATIC_MAX_BYTES, NULL) < 0)
		return -1;
	es_resp_bytes(r, 200, type, b.data, b.len);
	return 0;
}
