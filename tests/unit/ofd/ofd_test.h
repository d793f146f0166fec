/* Shared helpers for the OFD unit tests (header-only, static).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_OFD_TEST_H
#define ES_OFD_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "eseal/ofd.h"
#include "eseal/seal.h"
#include "eseal/verify.h"

#define VEC ESEAL_SHARED_DIR "/vectors/ofd/"

static inline EVP_PKEY *t_key(void)
{
	FILE *f = fopen(VEC "ofdrw-sign_key.pem", "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

static inline X509 *t_cert(void)
{
	FILE *f = fopen(VEC "ofdrw-sign_cert.pem", "r");
	X509 *c = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return c;
}

static inline unsigned char *t_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n + 1)) != NULL) {
		*len = fread(b, 1, (size_t)n, f);
		b[*len] = 0;
	}
	fclose(f);
	return b;
}

static inline int t_write(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(d, 1, n, f) == n;

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

/* A v4 seal whose holder list is the ofdrw sign cert; picture from UserV4. */
static inline unsigned char *t_make_seal(size_t *len, X509 *cert, EVP_PKEY *key)
{
	size_t vlen = 0, plen = 0;
	unsigned char *v4 = t_read(VEC "ofdrw-UserV4.esl", &vlen), *der = NULL;
	es_seal *s = NULL;
	es_seal_info info;
	X509 *certs[1] = {cert};
	time_t now = time(NULL);
	const unsigned char *pic;

	if (v4 == NULL || es_seal_parse(&s, v4, vlen, NULL) < 0) {
		free(v4);
		return NULL;
	}
	pic = es_seal_picture(s, &plen);
	memset(&info, 0, sizeof(info));
	info.vid = "eseal";
	info.esid = "3301000000TEST";
	info.type = 1;
	info.name = "测试合同专用章";
	info.certs = certs;
	info.ncerts = 1;
	info.create_date = now - 3600;
	info.valid_start = now - 3600;
	info.valid_end = now + 365 * 86400;
	info.picture_type = "PNG";
	info.picture = pic;
	info.picture_len = plen;
	info.width_mm = 40;
	info.height_mm = 40;
	if (es_seal_make_v4(&der, len, &info, cert, key, NULL) < 0)
		der = NULL;
	es_seal_free(s);
	free(v4);
	return der;
}

static inline int t_has_code(const es_report *r, size_t sig, const char *code)
{
	const es_finding *f = sig == (size_t)-1 ? r->findings : r->sigs[sig].findings;
	size_t n = sig == (size_t)-1 ? r->nfindings : r->sigs[sig].nfindings, i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].code, code) == 0)
			return 1;
	return 0;
}

static inline void t_dump(const es_report *r)
{
	char *txt = NULL;

	if (getenv("ESEAL_TEST_VERBOSE") && es_report_text(&txt, r, "en", NULL) == 0)
		printf("%s\n", txt);
	free(txt);
}

#endif
