/* Verification entry point: detect the file type by content and dispatch.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include "eseal/verify.h"
#include "audit_anchor.h"
#include "core.h"
#include "util/util.h"

#define ES_SNIFF_LEN 1024

typedef enum { FT_UNKNOWN, FT_PDF, FT_OFD, FT_SEAL } file_type;

/* What the first bytes say the file is. */
static file_type sniff_bytes(const unsigned char *b, size_t n)
{
	size_t i;

	if (n > ES_SNIFF_LEN)
		n = ES_SNIFF_LEN;
	/* ISO 32000: the header may follow some garbage within the first 1024 bytes. */
	for (i = 0; i + 5 <= n; i++)
		if (memcmp(b + i, "%PDF-", 5) == 0)
			return FT_PDF;
	if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0)
		return FT_OFD;
	if (n >= 2 && b[0] == 0x30)
		return FT_SEAL;
	return FT_UNKNOWN;
}

static file_type sniff(const char *path)
{
	unsigned char b[ES_SNIFF_LEN];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return FT_UNKNOWN;
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	return sniff_bytes(b, n);
}

/* The key families a file of type ft needs: a PDF only P-256; OFD and seals
 * bring SM2 objects and the P-256 TSA. */
static unsigned fams_for(file_type ft)
{
	return ft == FT_PDF ? 1u << es_fam_index(ES_ALG_P256) : (1u << ES_FAMILIES) - 1;
}

static int push_extra(STACK_OF(X509) *anchors, STACK_OF(X509) *extra, es_err *err)
{
	int i;

	for (i = 0; extra && i < sk_X509_num(extra); i++) {
		X509 *c = sk_X509_value(extra, i);

		if (!sk_X509_push(anchors, c))
			return es_err_set(err, ES_ENOMEM, "out of memory");
		X509_up_ref(c);
	}
	return 0;
}

static const char *const type_name[] = {"", "pdf", "ofd", "seal"};

/* Verify path or (data, len), of type ft, with these trust inputs. */
static int verify_with(es_report *r, file_type ft, const char *path, const unsigned char *data,
		       size_t len, STACK_OF(X509) *anchors, STACK_OF(X509_CRL) *crls, unsigned flags,
		       es_err *err)
{
	es_verify_opts o = ES_VERIFY_OPTS_INIT;
	int rc;

	o.anchors = anchors;
	o.crls = crls;
	o.map_input = (flags & ES_VERIFY_MAP_INPUT) != 0;
	switch (ft) {
	case FT_PDF:
		rc = path ? es_pdf_verify(r, path, &o, err) : es_pdf_verify_mem(r, data, len, &o, err);
		break;
	case FT_OFD:
		rc = path ? es_ofd_verify(r, path, &o, err) : es_ofd_verify_mem(r, data, len, &o, err);
		break;
	default:
		rc = path ? es_seal_verify_file(r, path, &o, err) : es_seal_verify_mem(r, data, len, &o, err);
		break;
	}
	snprintf(r->file_type, sizeof(r->file_type), "%s", type_name[ft]);
	if (rc == 0 && r->file_sha256[0] == '\0') {
		rc = path != NULL ? es_file_sha256(r->file_sha256, path, err)
				  : es_sha256_hex(r->file_sha256, data, len, err);
	}
	return rc;
}

static int sniff_checked(file_type *ft, const char *path, const unsigned char *data, size_t len,
			 es_err *err)
{
	*ft = path ? sniff(path) : sniff_bytes(data, len);
	if (*ft == FT_UNKNOWN)
		return es_err_set(err, ES_EFORMAT, "%s is not a PDF, OFD or seal (.esl) file",
				  path ? path : "the file");
	return 0;
}

/* Either path or (data, len).  Trust: the anchors and CRLs of the families
 * the file needs, from the trust file of data directory dir when it is
 * current, else from the platform p (or, with dir and no p, the one dir
 * holds, when it is a data directory), refreshing dir's trust file; plus the
 * caller's extra anchors. */
static int verify_any(es_report *r, es_platform *p, const char *dir, const char *path,
		      const unsigned char *data, size_t len, STACK_OF(X509) *extra_anchors,
		      unsigned flags, es_err *err)
{
	STACK_OF(X509) *anchors = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	es_platform *own = NULL;
	file_type ft;
	int rc;

	if ((rc = sniff_checked(&ft, path, data, len, err)) < 0)
		goto out;
	if (anchors == NULL || crls == NULL) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	if (dir == NULL || es_trust_cache_read(dir, fams_for(ft), anchors, crls) != 1) {
		/* Anyone may verify: the platform's roots count only where the
		 * data directory exists. */
		if (p == NULL && dir != NULL && es_platform_open(&own, dir, NULL) == 0)
			p = own;
		if (p != NULL) {
			if ((rc = es_platform_verify_inputs(p, fams_for(ft), anchors, crls, err)) < 0)
				goto out;
			if (dir != NULL)
				es_trust_cache_write(p, fams_for(ft));
		}
	}
	if ((rc = push_extra(anchors, extra_anchors, err)) == 0)
		rc = verify_with(r, ft, path, data, len, anchors, crls, flags, err);
out:
	es_platform_close(own);
	sk_X509_pop_free(anchors, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return rc;
}

int es_verify_path(es_report *r, es_platform *p, const char *path,
		   STACK_OF(X509) *extra_anchors, es_err *err)
{
	if (!es_path_exists(path))
		return es_err_set(err, ES_ENOTFOUND, "%s does not exist", path);
	return verify_any(r, p, NULL, path, NULL, 0, extra_anchors, 0, err);
}

int es_verify_path_in(es_report *r, const char *dir, const char *path,
		      STACK_OF(X509) *extra_anchors, unsigned flags, es_err *err)
{
	if (!es_path_exists(path))
		return es_err_set(err, ES_ENOTFOUND, "%s does not exist", path);
	return verify_any(r, NULL, dir, path, NULL, 0, extra_anchors, flags, err);
}

int es_verify_mem(es_report *r, es_platform *p, const unsigned char *data, size_t len,
		  STACK_OF(X509) *extra_anchors, es_err *err)
{
	return verify_any(r, p, NULL, NULL, data, len, extra_anchors, 0, err);
}

int es_audit_verify(es_platform *p, int64_t *bad_id, size_t *count, char *why, size_t why_cap, es_err *err)
{
	es_audit_row *rows = NULL;
	size_t n = 0, i;
	char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
	char h[65];
	int rc;

	*bad_id = 0;
	why[0] = '\0';
	if ((rc = es_store_audit_list(p->st, &rows, &n, err)) < 0)
		return rc;
	*count = n;
	for (i = 0; i < n; i++) {
		es_audit_row *a = &rows[i];
		if (a->id != (int64_t)i + 1) {
			*bad_id = a->id;
			snprintf(why, why_cap, "entry %lld is out of sequence (expected %zu): an entry was removed or reordered",
				 (long long)a->id, i + 1);
			break;
		}
		if (strcmp(a->prev_hash, prev) != 0) {
			*bad_id = a->id;
			snprintf(why, why_cap, "entry %lld does not follow the previous entry's hash", (long long)a->id);
			break;
		}
		if ((rc = es_audit_entry_hash(h, a, err)) < 0)
			break;
		if (strcmp(h, a->hash) != 0) {
			*bad_id = a->id;
			snprintf(why, why_cap, "entry %lld was changed after it was written", (long long)a->id);
			break;
		}
		snprintf(prev, sizeof(prev), "%s", a->hash);
	}
	/* An intact chain can still have lost its tail: the anchors tell. */
	if (rc == 0 && *bad_id == 0)
		rc = es_audit_anchors_check(p, rows, n, bad_id, why, why_cap, err);
	ES_ROWS_FREE(rows, n, es_audit_row_clear);
	return rc;
}
