/* Internal pieces of the OFD concern: safe package reader, XML helpers,
 * DER reader/writer, document model, SES_Signature codec.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ES_OFD_INT_H
#define ES_OFD_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <libxml/tree.h>
#include <openssl/x509.h>
#include "eseal/err.h"
#include "eseal/report.h"
#include "eseal/verify.h"
#include "util/util.h"

/* ---- safety limits (docs/ofd.md) ---- */
#define OFD_MAX_ENTRIES 10000
#define OFD_MAX_ENTRY_BYTES (64u * 1024u * 1024u)
#define OFD_MAX_TOTAL_BYTES (512u * 1024u * 1024u)
#define OFD_MAX_RATIO 200u
#define OFD_RATIO_MIN_BYTES (1024u * 1024u) /* ratio checked above this size */
#define OFD_MAX_NAME_LEN 1024
#define OFD_MAX_XML_DEPTH 256
#define OFD_MAX_PAGES 100000

#define OFD_NS "http://www.ofdspec.org/2016"
#define OID_SM3 "1.2.156.10197.1.401"
#define OID_SM3_SM2 "1.2.156.10197.1.501"

/* ---- package (pkg.c) ---- */
typedef struct ofd_entry {
	char *name;          /* zip name, validated: relative, no "..", no "\\" */
	unsigned char *data; /* whole uncompressed content */
	size_t len;
	uint64_t index;      /* index in the zip */
	int is_dir;
} ofd_entry;

typedef struct ofd_pkg {
	void *za;            /* zip_t */
	void *mem;           /* private copy for memory packages */
	ofd_entry *e;
	size_t n;
} ofd_pkg;

/** Open and fully read (with limits) a package from a file / memory. */
int ofd_pkg_open(ofd_pkg **out, const char *path, es_err *err);
int ofd_pkg_open_mem(ofd_pkg **out, const unsigned char *data, size_t len, es_err *err);
void ofd_pkg_free(ofd_pkg *p);
/** Entry by normalised package path ("Doc_0/Document.xml", no leading '/');
 * exact match first, then ASCII case-insensitive. NULL when absent. */
const ofd_entry *ofd_pkg_find(const ofd_pkg *p, const char *path);
/** Validate a zip entry name (0 ok). */
int ofd_name_ok(const char *name);
/** Resolve ref (absolute "/x/y" or relative to the directory of base, a
 * package path) into out (normalised, no leading '/'). ES_EFORMAT when it
 * escapes the package or is malformed. */
int ofd_path_resolve(char *out, size_t cap, const char *base, const char *ref);
/** Directory part of a package path, with trailing '/' ("" for root). */
void ofd_path_dir(char *out, size_t cap, const char *path);

/* ---- XML (xml.c) ---- */
int ofd_xml_parse(xmlDocPtr *out, const unsigned char *data, size_t len, es_err *err);
/** Does the node's local name equal name? */
int ofd_xml_is(const xmlNode *n, const char *name);
/** First element child with local name (NULL when none). */
xmlNode *ofd_xml_child(const xmlNode *n, const char *name);
/** Next element sibling with local name after n. */
xmlNode *ofd_xml_next(const xmlNode *n, const char *name);
/** Trimmed text content into buf ("" when none). */
void ofd_xml_text(const xmlNode *n, char *buf, size_t cap);
/** Attribute value into buf; 0 when found. */
int ofd_xml_attr(const xmlNode *n, const char *name, char *buf, size_t cap);
/** Parse up to max doubles separated by spaces/commas; returns count. */
int ofd_parse_doubles(const char *s, double *v, int max);

/* ---- DER (der.c) ---- */
typedef struct ofd_tlv {
	unsigned tag;
	const unsigned char *raw; /* whole TLV */
	size_t rawlen;
	const unsigned char *val;
	size_t vlen;
} ofd_tlv;
/** Read one TLV at *p (< end); advances *p. 0 or -1. */
int ofd_der_read(ofd_tlv *t, const unsigned char **p, const unsigned char *end);
/** Children iteration helper: read child of t at *p. */
int ofd_der_child(ofd_tlv *c, const ofd_tlv *parent, const unsigned char **p);
int ofd_der_put(es_buf *b, unsigned tag, const void *val, size_t len, es_err *err);
/** OID (dotted text) from a DER OID TLV; 0 or -1. */
int ofd_der_oid_text(char *buf, size_t cap, const ofd_tlv *t);
int ofd_der_put_oid(es_buf *b, const char *dotted, es_err *err);

/* ---- document model (doc.c) ---- */
typedef struct ofd_page {
	char id[32];
	char path[OFD_MAX_NAME_LEN]; /* content file, package path */
	double box[4];               /* PhysicalBox x y w h in mm */
} ofd_page;

typedef struct ofd_doc {
	char ofd_xml_docbody_sigs[OFD_MAX_NAME_LEN]; /* Signatures.xml path or "" */
	char docroot[OFD_MAX_NAME_LEN];               /* Document.xml path */
	ofd_page *pages;
	size_t npages;
	double box[4];               /* document default PhysicalBox */
	char pubres[8][OFD_MAX_NAME_LEN]; /* PublicRes / DocumentRes paths */
	size_t npubres;
	char tpl_id[64][32];
	char tpl_path[64][OFD_MAX_NAME_LEN];
	size_t ntpl;
} ofd_doc;

int ofd_doc_load(ofd_doc *d, const ofd_pkg *p, es_err *err);
void ofd_doc_clear(ofd_doc *d);
/** Index of the page whose ID is id, or -1. */
int ofd_doc_page_by_id(const ofd_doc *d, const char *id);

/** One found keyword occurrence: centre in mm within the page. */
typedef struct ofd_hit {
	int page; /* 0-based */
	double x_mm, y_mm, h_mm;
} ofd_hit;
/** Next UTF-8 code point (U+FFFD for bad bytes); advances *s. */
uint32_t ofd_utf8_next(const unsigned char **s);
/** DeltaX/DeltaY list with "g n v" repetitions expanded; returns count. */
size_t ofd_parse_deltas(const char *s, double *out, size_t cap);
int ofd_find_keyword(ofd_hit *hits, size_t cap, size_t *n, const ofd_pkg *p,
		     const ofd_doc *d, const char *keyword, es_err *err);

/* ---- SES_Signature (ses.c) ---- */
typedef struct ofd_ses {
	int kind;     /* 4 = SES v4, 1 = SES v1, 35275 = SignedData, 2 = bare sig */
	int version;
	ofd_tlv tbs;  /* TBS_Sign (v4/v1) */
	ofd_tlv seal; /* embedded SESeal TLV */
	char time_text[64];
	time_t when;
	const unsigned char *data_hash; size_t data_hash_len;
	char property[OFD_MAX_NAME_LEN];
	const unsigned char *cert; size_t cert_len;
	char alg[64];
	const unsigned char *sig; size_t sig_len;
	const unsigned char *signed_bytes; size_t signed_len; /* what sig covers */
	unsigned char *owned; /* re-tagged attrs for SignedData */
	const unsigned char *ts; size_t ts_len;
	const unsigned char *certs[8]; size_t certs_len[8]; size_t ncerts;
} ofd_ses;
int ofd_ses_parse(ofd_ses *s, const unsigned char *der, size_t len);
void ofd_ses_clear(ofd_ses *s);

/* ---- glue to src/seal and src/pki (glue.c, the only calls) ---- */
/** Run the seal checks on an embedded SESeal and check that cert is listed.
 * listed gets 1/0/-1 (unknown). Adds findings. */
int ofd_seal_checks(es_report *r, es_sig_report *sig, const unsigned char *seal,
		    size_t seal_len, const unsigned char *cert, size_t cert_len,
		    STACK_OF(X509) *anchors, time_t at, int *listed, es_err *err);
/** 1 when cert DER is listed in the seal, 0 not, <0 seal unparsable. */
int ofd_seal_lists(const unsigned char *seal, size_t seal_len, X509 *cert, es_err *err);
/** PNG/GIF/... picture and its type from a seal (malloc'd copy). */
int ofd_seal_picture(unsigned char **pic, size_t *len, char *type, size_t tcap,
		     const unsigned char *seal, size_t seal_len, es_err *err);
/** Picture size of a seal in mm. */
int ofd_seal_size(double *w_mm, double *h_mm, const unsigned char *seal, size_t seal_len,
		  es_err *err);
/** Chain status of cert (ES_CHAIN_*), or <0. */
int ofd_chain(int *status, X509 *cert, STACK_OF(X509) *anchors, time_t at, es_err *err);
/** Verify an RFC 3161 token over a signature value (imprint SM3 or SHA-256).
 * *tsa: the token's signer (X509_free()).  0, ES_EVERIFY or ES_EFORMAT. */
int ofd_tsa_verify(time_t *gen_time, X509 **tsa, const unsigned char *token, size_t len,
		   const unsigned char *sig, size_t siglen, es_err *err);
void ofd_cert_names(X509 *c, char *cn, size_t cncap, char *o, size_t ocap);

/* ---- verify from memory (verify.c), used by the fuzz target ---- */
int es_ofd_verify_mem(es_report *r, const unsigned char *data, size_t len,
		      const es_verify_opts *o, es_err *err);

/** Load libxml2 now (xml_shim.c); ES_ENOTSUP with the reason when missing. */
int es_xml_require(es_err *err);
/** Load libzip now (zip_shim.c); ES_ENOTSUP with the reason when missing. */
int es_zip_require(es_err *err);

#endif
