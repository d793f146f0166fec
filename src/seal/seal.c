/* SESeal parser: GB/T 38540-2020 (v4, ofdrw "v5") and GM/T 0031-2014 (v1).
 * Layouts: shared/research/gbt38540.md.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include "der.h"
#include "seal_int.h"

#define SEAL_MAX_STRING_LEN 1024  /* vid, esID, name, picture type */
#define SEAL_MAX_CERTS 64         /* holder certificates in certList */
#define SEAL_CERT_LIST_CERTS 1    /* GB/T 38540 certListType: certificates */
#define SEAL_CERT_LIST_DIGESTS 2  /* GB/T 38540 certListType: digests */

#define BAD(msg) es_err_set(err, ES_EFORMAT, "not a valid SESeal: %s", msg)

/* Copy a string element (IA5, UTF8 or Printable) as a C string. */
static int dup_string(const der_tlv *t, char **out, es_err *err)
{
	if (t->tag != DER_IA5_STRING && t->tag != DER_UTF8_STRING &&
	    t->tag != DER_PRINTABLE_STRING)
		return BAD("a text field has the wrong type");
	if (t->len > SEAL_MAX_STRING_LEN || memchr(t->val, 0, t->len) != NULL)
		return BAD("a text field is too long or holds NUL");
	*out = malloc(t->len + 1);
	if (*out == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	memcpy(*out, t->val, t->len);
	(*out)[t->len] = '\0';
	return 0;
}

static int read_string(der_cur *c, char **out, es_err *err)
{
	der_tlv t;

	if (der_read(c, &t) < 0)
		return BAD("a text field is missing");
	return dup_string(&t, out, err);
}

static int read_uint(der_cur *c, int *out, es_err *err)
{
	der_tlv t;

	if (der_expect(c, DER_INTEGER, &t) < 0 || der_small_uint(&t, out) < 0)
		return BAD("an INTEGER field is missing or out of range");
	return 0;
}

static int read_time(der_cur *c, time_t *out, es_err *err)
{
	der_tlv t;

	/* GM/T 0031 says UTCTime, GB/T 38540 GeneralizedTime; producers mix them. */
	if (der_read(c, &t) < 0 || der_time(&t, out) < 0)
		return BAD("a date is missing or malformed");
	return 0;
}

static int parse_header(es_seal *s, der_cur *c, es_err *err)
{
	der_tlv h;
	der_cur in;
	char *id = NULL;
	int rc;

	if (der_expect(c, DER_SEQUENCE, &h) < 0)
		return BAD("no header");
	in = der_in(&h);
	if ((rc = read_string(&in, &id, err)) < 0)
		return rc;
	rc = strcmp(id, "ES") == 0 ? 0 : BAD("header id is not \"ES\"");
	free(id);
	if (rc < 0)
		return rc;
	if ((rc = read_uint(&in, &s->version, err)) < 0)
		return rc;
	if ((rc = read_string(&in, &s->vid, err)) < 0)
		return rc;
	if (in.len != 0)
		return BAD("extra data in header");
	return 0;
}

static int parse_cert_entry(es_seal *s, der_cur *c, es_err *err)
{
	seal_cert *e = &s->certs[s->ncerts];
	der_tlv t, v;
	der_cur in;
	int rc;

	memset(e, 0, sizeof(*e));
	if (s->cert_list_type == SEAL_CERT_LIST_CERTS) {
		/* Some GM/T 0031 producers (dms360) put a string such as "1" in
		 * the cert list.  It names no certificate: skip it, count it, and
		 * let es_seal_check() say so; the maker signature still covers it. */
		if (s->version == 1 && (der_peek(c) == DER_IA5_STRING ||
					der_peek(c) == DER_PRINTABLE_STRING ||
					der_peek(c) == DER_UTF8_STRING)) {
			if (der_read(c, &t) < 0)
				return BAD("certList entry is malformed");
			s->nodd_certs++;
			return 0;
		}
		if (der_expect(c, DER_OCTET_STRING, &t) < 0 || t.len == 0)
			return BAD("certList entry is not an OCTET STRING");
		e->p = t.val;
		e->len = t.len;
		s->ncerts++;
		return 0;
	}
	if (der_expect(c, DER_SEQUENCE, &t) < 0)
		return BAD("certDigestList entry is not a SEQUENCE");
	in = der_in(&t);
	if ((rc = read_string(&in, &e->digest_alg, err)) < 0)
		return rc;
	s->ncerts++; /* owns digest_alg now */
	if (der_expect(&in, DER_OCTET_STRING, &v) < 0 || in.len != 0)
		return BAD("certDigestList entry is malformed");
	e->p = v.val;
	e->len = v.len;
	return 0;
}

static int parse_cert_list(es_seal *s, der_cur *c, es_err *err)
{
	der_tlv t;
	der_cur in;
	int rc;

	if (s->cert_list_type != SEAL_CERT_LIST_CERTS &&
	    s->cert_list_type != SEAL_CERT_LIST_DIGESTS)
		return BAD("unknown certListType");
	if (der_expect(c, DER_SEQUENCE, &t) < 0)
		return BAD("certList is not a SEQUENCE");
	in = der_in(&t);
	s->certs = calloc(SEAL_MAX_CERTS, sizeof(*s->certs));
	if (s->certs == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	while (in.len > 0) {
		if (s->ncerts == SEAL_MAX_CERTS)
			return BAD("too many certificates in certList");
		if ((rc = parse_cert_entry(s, &in, err)) < 0)
			return rc;
	}
	return 0;
}

static int parse_property(es_seal *s, der_cur *c, es_err *err)
{
	der_tlv p;
	der_cur in;
	int rc;

	if (der_expect(c, DER_SEQUENCE, &p) < 0)
		return BAD("no property");
	in = der_in(&p);
	if ((rc = read_uint(&in, &s->type, err)) < 0 ||
	    (rc = read_string(&in, &s->name, err)) < 0)
		return rc;
	/* GB/T 38540 adds certListType before certList; GM/T 0031 has none. */
	s->cert_list_type = SEAL_CERT_LIST_CERTS;
	if (der_peek(&in) == DER_INTEGER && (rc = read_uint(&in, &s->cert_list_type, err)) < 0)
		return rc;
	if ((rc = parse_cert_list(s, &in, err)) < 0 ||
	    (rc = read_time(&in, &s->create_date, err)) < 0 ||
	    (rc = read_time(&in, &s->valid_start, err)) < 0 ||
	    (rc = read_time(&in, &s->valid_end, err)) < 0)
		return rc;
	if (in.len != 0)
		return BAD("extra data in property");
	return 0;
}

static int parse_picture(es_seal *s, der_cur *c, es_err *err)
{
	der_tlv p, d;
	der_cur in;
	int rc;

	if (der_expect(c, DER_SEQUENCE, &p) < 0)
		return BAD("no picture");
	in = der_in(&p);
	if ((rc = read_string(&in, &s->pic_type, err)) < 0)
		return rc;
	if (der_expect(&in, DER_OCTET_STRING, &d) < 0)
		return BAD("picture data is not an OCTET STRING");
	s->picture.p = d.val;
	s->picture.len = d.len;
	if ((rc = read_uint(&in, &s->width_mm, err)) < 0 ||
	    (rc = read_uint(&in, &s->height_mm, err)) < 0)
		return rc;
	if (in.len != 0)
		return BAD("extra data in picture");
	return 0;
}

static int parse_info(es_seal *s, const der_tlv *info, es_err *err)
{
	der_cur in = der_in(info);
	der_tlv t;
	int rc;

	if ((rc = parse_header(s, &in, err)) < 0)
		return rc;
	if (der_read(&in, &t) < 0 || (rc = dup_string(&t, &s->esid, err)) < 0)
		return rc < 0 ? rc : BAD("no esID");
	if ((rc = parse_property(s, &in, err)) < 0 || (rc = parse_picture(s, &in, err)) < 0)
		return rc;
	/* extDatas OPTIONAL: kept as signed bytes, not interpreted. */
	if (in.len > 0 && der_expect(&in, DER_SEQUENCE, &t) < 0)
		return BAD("extDatas is not a SEQUENCE");
	if (in.len != 0)
		return BAD("extra data in eSealInfo");
	return 0;
}

/* cert OCTET STRING, signature algorithm OID, signature BIT STRING. */
static int parse_sign_fields(es_seal *s, der_cur *c, es_err *err)
{
	der_tlv cert, alg, sig;

	if (der_expect(c, DER_OCTET_STRING, &cert) < 0 || cert.len == 0)
		return BAD("maker certificate is not an OCTET STRING");
	if (der_expect(c, DER_OID, &alg) < 0 || alg.len == 0)
		return BAD("signature algorithm is not an OID");
	if (der_expect(c, DER_BIT_STRING, &sig) < 0 || sig.len < 2 || sig.val[0] != 0)
		return BAD("signature is not a whole-byte BIT STRING");
	if (c->len != 0)
		return BAD("extra data after the signature");
	s->cert_tlv.p = cert.raw;
	s->cert_tlv.len = cert.raw_len;
	s->maker_cert.p = cert.val;
	s->maker_cert.len = cert.len;
	s->alg_tlv.p = alg.raw;
	s->alg_tlv.len = alg.raw_len;
	s->alg_oid.p = alg.val;
	s->alg_oid.len = alg.len;
	s->sig.p = sig.val + 1;
	s->sig.len = sig.len - 1;
	return 0;
}

static int parse_seal(es_seal *s, es_err *err)
{
	der_cur top = {s->der, s->der_len}, in;
	der_tlv seal, info, sign_info;
	int rc;

	if (der_expect(&top, DER_SEQUENCE, &seal) < 0 || top.len != 0)
		return BAD("not one DER SEQUENCE");
	in = der_in(&seal);
	if (der_expect(&in, DER_SEQUENCE, &info) < 0)
		return BAD("no eSealInfo");
	s->info_tlv.p = info.raw;
	s->info_tlv.len = info.raw_len;
	if ((rc = parse_info(s, &info, err)) < 0)
		return rc;
	if (der_peek(&in) == DER_SEQUENCE) {
		/* GM/T 0031: SESeal ::= SEQUENCE { esealInfo, signInfo SEQUENCE } */
		s->layout = SEAL_LAYOUT_V1;
		if (der_expect(&in, DER_SEQUENCE, &sign_info) < 0 || in.len != 0)
			return BAD("malformed signInfo");
		in = der_in(&sign_info);
	} else {
		s->layout = SEAL_LAYOUT_V4;
	}
	if ((rc = parse_sign_fields(s, &in, err)) < 0)
		return rc;
	if ((s->layout == SEAL_LAYOUT_V1) != (s->version == 1))
		return BAD("header version does not match the layout");
	if (s->version != 1 && s->version != 4 && s->version != 5)
		return BAD("unknown header version");
	return 0;
}

int es_seal_parse(es_seal **out, const unsigned char *der, size_t len, es_err *err)
{
	es_seal *s;
	int rc;

	*out = NULL;
	if (der == NULL || len == 0)
		return es_err_set(err, ES_EFORMAT, "not a valid SESeal: empty input");
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->der = malloc(len)) == NULL) {
		free(s);
		return es_err_set(err, ES_ENOMEM, "out of memory");
	}
	memcpy(s->der, der, len);
	s->der_len = len;
	rc = parse_seal(s, err);
	if (rc < 0) {
		es_seal_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void es_seal_free(es_seal *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ncerts; i++)
		free(s->certs[i].digest_alg);
	free(s->certs);
	free(s->vid);
	free(s->esid);
	free(s->name);
	free(s->pic_type);
	free(s->der);
	free(s);
}

int es_seal_version(const es_seal *s) { return s->version; }
const char *es_seal_vid(const es_seal *s) { return s->vid; }
const char *es_seal_esid(const es_seal *s) { return s->esid; }
int es_seal_type(const es_seal *s) { return s->type; }
const char *es_seal_name(const es_seal *s) { return s->name; }
time_t es_seal_create_date(const es_seal *s) { return s->create_date; }
time_t es_seal_valid_start(const es_seal *s) { return s->valid_start; }
time_t es_seal_valid_end(const es_seal *s) { return s->valid_end; }
int es_seal_cert_list_type(const es_seal *s) { return s->cert_list_type; }
size_t es_seal_cert_count(const es_seal *s) { return s->ncerts; }
const char *es_seal_picture_type(const es_seal *s) { return s->pic_type; }
int es_seal_picture_width_mm(const es_seal *s) { return s->width_mm; }
int es_seal_picture_height_mm(const es_seal *s) { return s->height_mm; }

const unsigned char *es_seal_cert_at(const es_seal *s, size_t i, size_t *len)
{
	if (i >= s->ncerts) {
		*len = 0;
		return NULL;
	}
	*len = s->certs[i].len;
	return s->certs[i].p;
}

const unsigned char *es_seal_picture(const es_seal *s, size_t *len)
{
	*len = s->picture.len;
	return s->picture.p;
}

const unsigned char *es_seal_maker_cert(const es_seal *s, size_t *len)
{
	*len = s->maker_cert.len;
	return s->maker_cert.p;
}

const unsigned char *es_seal_der(const es_seal *s, size_t *len)
{
	*len = s->der_len;
	return s->der;
}

/* Digest named in a certDigestList entry ("SM3", "SHA1", "SHA256", OIDs...). */
static const EVP_MD *digest_by_name(const char *name)
{
	if (strcasecmp(name, "SM3") == 0 || strcmp(name, "1.2.156.10197.1.401") == 0)
		return EVP_sm3();
	if (strcasecmp(name, "SHA1") == 0 || strcasecmp(name, "SHA-1") == 0)
		return EVP_sha1();
	if (strcasecmp(name, "SHA256") == 0 || strcasecmp(name, "SHA-256") == 0)
		return EVP_sha256();
	return NULL;
}

static int digest_matches(const seal_cert *e, const unsigned char *cert, size_t len)
{
	const EVP_MD *md = digest_by_name(e->digest_alg);
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (md == NULL || EVP_Digest(cert, len, d, &n, md, NULL) != 1)
		return 0;
	return n == e->len && CRYPTO_memcmp(d, e->p, n) == 0;
}

int es_seal_lists_cert(const es_seal *s, const unsigned char *cert, size_t len)
{
	size_t i;

	for (i = 0; i < s->ncerts; i++) {
		const seal_cert *e = &s->certs[i];

		if (s->cert_list_type == SEAL_CERT_LIST_DIGESTS) {
			if (digest_matches(e, cert, len))
				return 1;
		} else if (e->len == len && memcmp(e->p, cert, len) == 0) {
			return 1;
		}
	}
	return 0;
}
