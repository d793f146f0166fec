/* OFD sealing (GB/T 38540 clause 7): Signatures.xml, Sign_N/Signature.xml,
 * Seal.esl, SignedValue.dat; the package is rewritten with libzip, unchanged
 * entries copied raw, and written atomically.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>
#include "eseal/ofd.h"
#include "ofd_int.h"

#define SM3_LEN 32
#define NEW_FILES 5

typedef struct newfile {
	char path[OFD_MAX_NAME_LEN + 64]; /* package path, no leading '/' */
	es_buf data;
	int replaces;                /* 1 when it replaces an existing entry */
} newfile;

typedef struct sctx {
	const es_ofd_sign_opts *o;
	ofd_pkg *p;
	ofd_doc doc;
	double w_mm, h_mm;
	char sigs_path[OFD_MAX_NAME_LEN], sign_dir[OFD_MAX_NAME_LEN];
	char prefix[32];             /* e.g. "ofd:" */
	char id_prefix[16];
	long next_id;
	long stamp_id0;              /* first StampAnnot ID (they follow the Sign ID) */
	char sign_id[48];
	newfile nf[NEW_FILES];
	size_t nnf;
	struct {
		int page;
		double b[4];     /* Boundary, page coordinates */
		int clip;
		double c[4];
	} st[ES_OFD_MAX_STAMPS];
	size_t nst;
	time_t when;
} sctx;

static newfile *add_file(sctx *s, const char *path)
{
	newfile *f = &s->nf[s->nnf++];

	snprintf(f->path, sizeof(f->path), "%s", path);
	f->replaces = ofd_pkg_find(s->p, path) != NULL;
	return f;
}

static const newfile *find_new(const sctx *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->nnf; i++)
		if (strcmp(s->nf[i].path, path) == 0)
			return &s->nf[i];
	return NULL;
}

/* ---- stamp placement ---- */

static int add_stamp(sctx *s, int page, double x, double y, es_err *err)
{
	if (s->nst >= ES_OFD_MAX_STAMPS)
		return es_err_set(err, ES_ERANGE, "more than %d stamps in one signature", ES_OFD_MAX_STAMPS);
	s->st[s->nst].page = page;
	s->st[s->nst].b[0] = x;
	s->st[s->nst].b[1] = y;
	s->st[s->nst].b[2] = s->w_mm;
	s->st[s->nst].b[3] = s->h_mm;
	s->nst++;
	return 0;
}

static int place_keyword(sctx *s, es_err *err)
{
	ofd_hit hits[ES_OFD_MAX_STAMPS];
	size_t n = 0, i;
	int rc;

	if ((rc = ofd_find_keyword(hits, ES_ARRAY_LEN(hits), &n, s->p, &s->doc, s->o->keyword, err)) < 0)
		return rc;
	if (s->o->occurrence > 0) {
		if ((size_t)s->o->occurrence > n)
			return es_err_set(err, ES_ENOTFOUND, "keyword occurs %zu times, occurrence %d asked", n,
					  s->o->occurrence);
		hits[0] = hits[s->o->occurrence - 1];
		n = 1;
	}
	for (i = 0; i < n; i++)
		if ((rc = add_stamp(s, hits[i].page, hits[i].x_mm - s->w_mm / 2, hits[i].y_mm - s->h_mm / 2,
				    err)) < 0)
			return rc;
	return 0;
}

/* 骑缝章: page i shows strip i of the picture flush with the right edge. */
static int place_cross_page(sctx *s, es_err *err)
{
	double strip = s->w_mm / (double)s->doc.npages;
	size_t i;
	int rc;

	if (s->doc.npages > ES_OFD_MAX_STAMPS)
		return es_err_set(err, ES_ERANGE, "cross-page seal over %zu pages; at most %d", s->doc.npages,
				  ES_OFD_MAX_STAMPS);
	for (i = 0; i < s->doc.npages; i++) {
		const double *box = s->doc.pages[i].box;
		double cy = s->o->y_mm < 0 ? box[3] / 2 : s->o->y_mm;

		if ((rc = add_stamp(s, (int)i, box[0] + box[2] - (double)(i + 1) * strip,
				    box[1] + cy - s->h_mm / 2, err)) < 0)
			return rc;
		s->st[i].clip = 1;
		s->st[i].c[0] = (double)i * strip;
		s->st[i].c[1] = 0;
		s->st[i].c[2] = strip;
		s->st[i].c[3] = s->h_mm;
	}
	return 0;
}

static int place(sctx *s, es_err *err)
{
	int page;

	if (s->doc.npages == 0)
		return es_err_set(err, ES_EFORMAT, "the OFD has no pages");
	if (s->o->keyword && s->o->keyword[0])
		return place_keyword(s, err);
	if (s->o->cross_page)
		return place_cross_page(s, err);
	page = s->o->page == -1 ? (int)s->doc.npages : s->o->page;
	if (page < 1 || (size_t)page > s->doc.npages)
		return es_err_set(err, ES_EINVAL, "page %d does not exist; the document has %zu pages",
				  s->o->page, s->doc.npages);
	return add_stamp(s, page - 1, s->doc.pages[page - 1].box[0] + s->o->x_mm - s->w_mm / 2,
			 s->doc.pages[page - 1].box[1] + s->o->y_mm - s->h_mm / 2, err);
}

/* ---- IDs and locations ---- */

static void parse_max_id(sctx *s, const char *text)
{
	const char *d = text + strlen(text);
	long v = 0;

	while (d > text && d[-1] >= '0' && d[-1] <= '9')
		d--;
	snprintf(s->id_prefix, sizeof(s->id_prefix), "%.*s", (int)(d - text) < 15 ? (int)(d - text) : 15, text);
	if (*d && es_parse_long(&v, d, 0, 1000000000L) == 0 && v >= s->next_id)
		s->next_id = v + 1;
}

/* MaxSignId and the highest existing IDs; the prefix of the root element. */
static int scan_signatures(sctx *s, const ofd_entry *e, es_err *err)
{
	xmlDocPtr x = NULL;
	xmlNode *root, *n;
	char buf[64];
	int rc;

	if ((rc = ofd_xml_parse(&x, e->data, e->len, err)) < 0)
		return rc;
	root = xmlDocGetRootElement(x);
	if (root->ns && root->ns->prefix)
		snprintf(s->prefix, sizeof(s->prefix), "%.30s:", (const char *)root->ns->prefix);
	for (n = root->children; n; n = n->next) {
		if (ofd_xml_is(n, "MaxSignId")) {
			ofd_xml_text(n, buf, sizeof(buf));
			parse_max_id(s, buf);
		} else if (ofd_xml_is(n, "Signature") && ofd_xml_attr(n, "ID", buf, sizeof(buf)) == 0) {
			parse_max_id(s, buf);
		}
	}
	xmlFreeDoc(x);
	return 0;
}

static int choose_locations(sctx *s, es_err *err)
{
	char dir[OFD_MAX_NAME_LEN];
	int i, n;

	s->next_id = 1;
	snprintf(s->prefix, sizeof(s->prefix), "ofd:");
	if (s->doc.ofd_xml_docbody_sigs[0]) {
		const ofd_entry *e = ofd_pkg_find(s->p, s->doc.ofd_xml_docbody_sigs);

		snprintf(s->sigs_path, sizeof(s->sigs_path), "%s", e ? e->name : s->doc.ofd_xml_docbody_sigs);
		if (e) {
			int rc = scan_signatures(s, e, err);

			if (rc < 0)
				return rc;
		}
	} else {
		ofd_path_dir(dir, sizeof(dir), s->doc.docroot);
		n = snprintf(s->sigs_path, sizeof(s->sigs_path), "%sSigns/Signatures.xml", dir);
		if (n < 0 || (size_t)n >= sizeof(s->sigs_path))
			return es_err_set(err, ES_ERANGE, "document path too long");
	}
	ofd_path_dir(dir, sizeof(dir), s->sigs_path);
	for (i = 0; i < 100000; i++) {
		char probe[OFD_MAX_NAME_LEN + 32];
		size_t k;
		int used = 0;

		n = snprintf(s->sign_dir, sizeof(s->sign_dir), "%sSign_%d/", dir, i);
		if (n < 0 || (size_t)n >= sizeof(s->sign_dir))
			return es_err_set(err, ES_ERANGE, "signature path too long");
		snprintf(probe, sizeof(probe), "%s", s->sign_dir);
		for (k = 0; k < s->p->n && !used; k++)
			used = strncmp(s->p->e[k].name, probe, strlen(probe)) == 0;
		if (!used)
			break;
	}
	snprintf(s->sign_id, sizeof(s->sign_id), "%s%ld", s->id_prefix, s->next_id++);
	s->stamp_id0 = s->next_id;
	s->next_id += (long)s->nst; /* MaxSignId covers the stamp IDs too */
	return 0;
}

/* ---- XML writers ---- */

static int xml_escape(es_buf *b, const char *t, es_err *err)
{
	int rc = 0;

	for (; *t && rc == 0; t++) {
		switch (*t) {
		case '&': rc = es_buf_puts(b, "&amp;", err); break;
		case '<': rc = es_buf_puts(b, "&lt;", err); break;
		case '>': rc = es_buf_puts(b, "&gt;", err); break;
		case '"': rc = es_buf_puts(b, "&quot;", err); break;
		default: rc = es_buf_append(b, t, 1, err);
		}
	}
	return rc;
}

/* OFD.xml without DocBody/Signatures: add it (last child of DocBody, GB/T 33190 7.4). */
static int patch_ofd_xml(sctx *s, es_err *err)
{
	const ofd_entry *e = ofd_pkg_find(s->p, "OFD.xml");
	xmlDocPtr x = NULL;
	xmlNode *body;
	char close[64], pfx[32] = "";
	const char *at;
	newfile *f;
	int rc;

	if ((rc = ofd_xml_parse(&x, e->data, e->len, err)) < 0)
		return rc;
	body = ofd_xml_child(xmlDocGetRootElement(x), "DocBody");
	if (body && body->ns && body->ns->prefix)
		snprintf(pfx, sizeof(pfx), "%.30s:", (const char *)body->ns->prefix);
	xmlFreeDoc(x);
	snprintf(close, sizeof(close), "</%sDocBody>", pfx);
	at = memmem(e->data, e->len, close, strlen(close));
	if (at == NULL)
		return es_err_set(err, ES_EFORMAT, "OFD.xml has no DocBody to register the signatures in");
	f = add_file(s, "OFD.xml");
	if ((rc = es_buf_append(&f->data, e->data, (size_t)(at - (const char *)e->data), err)) < 0 ||
	    (rc = es_buf_printf(&f->data, err, "<%sSignatures>/%s</%sSignatures>", pfx, s->sigs_path, pfx)) < 0 ||
	    (rc = es_buf_append(&f->data, at, e->len - (size_t)(at - (const char *)e->data), err)) < 0)
		return rc;
	return 0;
}

/* Does an existing signature protect Signatures.xml?  Then only append. */
static int sigs_xml_is_signed(const sctx *s)
{
	const char *base = strrchr(s->sigs_path, '/');
	char needle[OFD_MAX_NAME_LEN + 8];
	size_t i;

	snprintf(needle, sizeof(needle), "%s\"", base ? base + 1 : s->sigs_path);
	for (i = 0; i < s->p->n; i++) {
		const ofd_entry *e = &s->p->e[i];
		size_t l = strlen(e->name);

		if (l > 14 && strcmp(e->name + l - 14, "/Signature.xml") == 0 &&
		    memmem(e->data, e->len, needle, strlen(needle)))
			return 1;
	}
	return 0;
}

/* Extend an existing Signatures.xml: new entry before the closing root tag;
 * MaxSignId rewritten in place, or appended when the file is signed. */
static int extend_signatures_xml(sctx *s, const ofd_entry *e, es_buf *b, const char *maxid,
				 const char *type, es_err *err)
{
	const char *P = s->prefix, *d = (const char *)e->data, *a = NULL, *z = NULL, *end;
	char open[48], close[48], endroot[48];
	int in_place, rc;

	snprintf(open, sizeof(open), "<%sMaxSignId>", P);
	snprintf(close, sizeof(close), "</%sMaxSignId>", P);
	snprintf(endroot, sizeof(endroot), "</%sSignatures>", P);
	end = memmem(d, e->len, endroot, strlen(endroot));
	if (end == NULL)
		return es_err_set(err, ES_EFORMAT, "%s has no closing root tag", s->sigs_path);
	if (!sigs_xml_is_signed(s)) {
		a = memmem(d, e->len, open, strlen(open));
		z = a ? memmem(a, e->len - (size_t)(a - d), close, strlen(close)) : NULL;
	}
	in_place = a && z && z < end;
	if (in_place) {
		a += strlen(open);
		if ((rc = es_buf_append(b, d, (size_t)(a - d), err)) < 0 || (rc = es_buf_puts(b, maxid, err)) < 0 ||
		    (rc = es_buf_append(b, z, (size_t)(end - z), err)) < 0)
			return rc;
	} else if ((rc = es_buf_append(b, d, (size_t)(end - d), err)) < 0) {
		return rc;
	}
	if ((rc = es_buf_printf(b, err, "<%sSignature ID=\"%s\" Type=\"%s\" BaseLoc=\"/%sSignature.xml\"/>", P,
				s->sign_id, type, s->sign_dir)) < 0)
		return rc;
	if (!in_place && (rc = es_buf_printf(b, err, "<%sMaxSignId>%s</%sMaxSignId>", P, maxid, P)) < 0)
		return rc;
	return es_buf_append(b, end, e->len - (size_t)(end - d), err);
}

static int write_signatures_xml(sctx *s, es_err *err)
{
	const ofd_entry *e = ofd_pkg_find(s->p, s->sigs_path);
	const char *type = s->o->type_sign ? "Sign" : "Seal";
	char maxid[48];
	newfile *f = add_file(s, s->sigs_path);

	snprintf(maxid, sizeof(maxid), "%s%ld", s->id_prefix, s->next_id - 1);
	if (e)
		return extend_signatures_xml(s, e, &f->data, maxid, type, err);
	return es_buf_printf(&f->data, err,
			     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signatures xmlns:ofd=\"" OFD_NS
			     "\"><ofd:MaxSignId>%s</ofd:MaxSignId><ofd:Signature ID=\"%s\" Type=\"%s\" "
			     "BaseLoc=\"/%sSignature.xml\"/></ofd:Signatures>",
			     maxid, s->sign_id, type, s->sign_dir);
}

static int write_reference(es_buf *b, const char *path, const unsigned char *d, size_t n, es_err *err)
{
	unsigned char md[SM3_LEN];
	char *b64 = NULL;
	int rc;

	if ((rc = es_sm3(md, d, n, err)) < 0 || (rc = es_base64_encode(&b64, md, sizeof(md), err)) < 0)
		return rc;
	rc = es_buf_printf(b, err, "<ofd:Reference FileRef=\"/%s\"><ofd:CheckValue>%s</ofd:CheckValue></ofd:Reference>",
			   path, b64);
	free(b64);
	return rc;
}

/* Every package file except Signatures.xml and the new SignedValue.dat
 * (GB/T 38540 7.2.2), including earlier signatures and the new Seal.esl. */
static int write_references(sctx *s, es_buf *b, es_err *err)
{
	size_t i;
	int rc;

	if ((rc = es_buf_puts(b, "<ofd:References CheckMethod=\"" OID_SM3 "\">", err)) < 0)
		return rc;
	for (i = 0; i < s->p->n; i++) {
		const ofd_entry *e = &s->p->e[i];
		const newfile *nf = find_new(s, e->name);

		if (e->is_dir || strcmp(e->name, s->sigs_path) == 0)
			continue;
		rc = nf ? write_reference(b, e->name, nf->data.data, nf->data.len, err)
			: write_reference(b, e->name, e->data, e->len, err);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < s->nnf; i++)
		if (!s->nf[i].replaces && strcmp(s->nf[i].path, s->sigs_path) != 0 &&
		    (rc = write_reference(b, s->nf[i].path, s->nf[i].data.data, s->nf[i].data.len, err)) < 0)
			return rc;
	return es_buf_puts(b, "</ofd:References>", err);
}

static int write_stamps(sctx *s, es_buf *b, es_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < s->nst && rc == 0; i++) {
		const double *x = s->st[i].b;

		rc = es_buf_printf(b, err, "<ofd:StampAnnot ID=\"%s%ld\" PageRef=\"%s\" Boundary=\"%.3f %.3f %.3f %.3f\"",
				   s->id_prefix, s->stamp_id0 + (long)i, s->doc.pages[s->st[i].page].id, x[0], x[1], x[2], x[3]);
		if (rc == 0 && s->st[i].clip)
			rc = es_buf_printf(b, err, " Clip=\"%.3f %.3f %.3f %.3f\"", s->st[i].c[0], s->st[i].c[1],
					   s->st[i].c[2], s->st[i].c[3]);
		if (rc == 0)
			rc = es_buf_puts(b, "/>", err);
	}
	return rc;
}

static int write_signature_xml(sctx *s, es_buf *b, es_err *err)
{
	char when[32];
	struct tm tm;
	int rc;

	gmtime_r(&s->when, &tm);
	strftime(when, sizeof(when), "%Y%m%d%H%M%SZ", &tm);
	if ((rc = es_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signature xmlns:ofd=\"" OFD_NS
			      "\"><ofd:SignedInfo><ofd:Provider ProviderName=\"", err)) < 0 ||
	    (rc = xml_escape(b, s->o->provider ? s->o->provider : "eseal", err)) < 0 ||
	    (rc = es_buf_printf(b, err, "\" Version=\"%s\" Company=\"eseal\"/><ofd:SignatureMethod>" OID_SM3_SM2
				"</ofd:SignatureMethod><ofd:SignatureDateTime>%s</ofd:SignatureDateTime>",
				ESEAL_VERSION, when)) < 0 ||
	    (rc = write_references(s, b, err)) < 0 || (rc = write_stamps(s, b, err)) < 0)
		return rc;
	return es_buf_printf(b, err, "<ofd:Seal><ofd:BaseLoc>/%sSeal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>"
			     "<ofd:SignedValue>/%sSignedValue.dat</ofd:SignedValue></ofd:Signature>",
			     s->sign_dir, s->sign_dir);
}

static int build_files(sctx *s, es_err *err)
{
	newfile *seal, *sigxml, *val;
	char prop[OFD_MAX_NAME_LEN + 32], path[OFD_MAX_NAME_LEN + 32];
	unsigned char *der = NULL;
	es_buf xml = {0};
	size_t len = 0;
	int rc;

	if (!s->doc.ofd_xml_docbody_sigs[0] && (rc = patch_ofd_xml(s, err)) < 0)
		return rc;
	if ((rc = write_signatures_xml(s, err)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%sSeal.esl", s->sign_dir);
	seal = add_file(s, path);
	if ((rc = es_buf_append(&seal->data, s->o->seal, s->o->seal_len, err)) < 0)
		return rc;
	/* written before it joins the file list: it must not reference itself */
	if ((rc = write_signature_xml(s, &xml, err)) < 0) {
		es_buf_free(&xml, 0);
		return rc;
	}
	snprintf(path, sizeof(path), "%sSignature.xml", s->sign_dir);
	sigxml = add_file(s, path);
	sigxml->data = xml;
	snprintf(prop, sizeof(prop), "/%sSignature.xml", s->sign_dir);
	if ((rc = es_ses_signature_make_v4(&der, &len, s->o->seal, s->o->seal_len, sigxml->data.data,
					   sigxml->data.len, prop, s->when, s->o->key, s->o->cert,
					   s->o->tsa, s->o->tsa_ctx, err)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%sSignedValue.dat", s->sign_dir);
	val = add_file(s, path);
	rc = es_buf_append(&val->data, der, len, err);
	free(der);
	return rc;
}

/* ---- zip output ---- */

static int add_buffer(zip_t *z, const newfile *f, time_t when, es_err *err)
{
	zip_source_t *src = zip_source_buffer(z, f->data.data, f->data.len, 0);
	zip_int64_t idx;

	if (src == NULL || (idx = zip_file_add(z, f->path, src, ZIP_FL_ENC_UTF_8)) < 0) {
		zip_source_free(src);
		return es_err_set(err, ES_EIO, "cannot add %s to the output: %s", f->path, zip_strerror(z));
	}
	zip_file_set_mtime(z, (zip_uint64_t)idx, when, 0);
	return 0;
}

static int add_entries(sctx *s, zip_t *z, es_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < s->p->n; i++) {
		const ofd_entry *e = &s->p->e[i];
		const newfile *nf = find_new(s, e->name);
		zip_source_t *src;

		if (nf) {
			if ((rc = add_buffer(z, nf, s->when, err)) < 0)
				return rc;
			continue;
		}
		if (e->is_dir) {
			if (zip_dir_add(z, e->name, ZIP_FL_ENC_UTF_8) < 0)
				return es_err_set(err, ES_EIO, "cannot copy %s: %s", e->name, zip_strerror(z));
			continue;
		}
		/* byte-for-byte: the compressed data is copied, not re-deflated */
		src = zip_source_zip(z, s->p->za, e->index, ZIP_FL_COMPRESSED, 0, -1);
		if (src == NULL || zip_file_add(z, e->name, src, ZIP_FL_ENC_UTF_8) < 0) {
			zip_source_free(src);
			return es_err_set(err, ES_EIO, "cannot copy %s: %s", e->name, zip_strerror(z));
		}
	}
	for (i = 0; i < s->nnf; i++)
		if (!s->nf[i].replaces && (rc = add_buffer(z, &s->nf[i], s->when, err)) < 0)
			return rc;
	return 0;
}

static int read_source(es_buf *out, zip_source_t *src, es_err *err)
{
	zip_stat_t st;
	int rc = 0;

	zip_stat_init(&st);
	if (zip_source_open(src) < 0)
		return es_err_set(err, ES_EIO, "cannot read the new package");
	if (zip_source_stat(src, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) ||
	    (rc = es_buf_reserve(out, (size_t)st.size, err)) < 0 ||
	    zip_source_read(src, out->data, st.size) != (zip_int64_t)st.size) {
		zip_source_close(src);
		return rc < 0 ? rc : es_err_set(err, ES_EIO, "cannot read the new package");
	}
	out->len = (size_t)st.size;
	zip_source_close(src);
	return 0;
}

static int write_zip(sctx *s, const char *out_path, es_err *err)
{
	zip_error_t ze;
	zip_source_t *dst;
	zip_t *z;
	es_buf out = {0};
	int rc;

	zip_error_init(&ze);
	dst = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (dst == NULL) {
		zip_error_fini(&ze);
		return es_err_set(err, ES_ENOMEM, "out of memory");
	}
	zip_source_keep(dst);
	z = zip_open_from_source(dst, ZIP_TRUNCATE, &ze);
	zip_error_fini(&ze);
	if (z == NULL) {
		zip_source_free(dst);
		zip_source_free(dst);
		return es_err_set(err, ES_EIO, "cannot create the output package");
	}
	if ((rc = add_entries(s, z, err)) < 0) {
		zip_discard(z);
		zip_source_free(dst);
		return rc;
	}
	if (zip_close(z) < 0) {
		rc = es_err_set(err, ES_EIO, "cannot write the output package: %s", zip_strerror(z));
		zip_discard(z);
		zip_source_free(dst);
		return rc;
	}
	if ((rc = read_source(&out, dst, err)) == 0)
		rc = es_file_write_atomic(out_path, out.data, out.len, 0644, err);
	zip_source_free(dst);
	es_buf_free(&out, 0);
	return rc;
}

/* ---- entry ---- */

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int check_opts(const es_ofd_sign_opts *o, const char *in, const char *out, es_err *err)
{
	if (o == NULL || o->version != ES_OFD_SIGN_OPTS_VERSION)
		return es_err_set(err, ES_EINVAL, "sign options missing or of another version; use ES_OFD_SIGN_OPTS_INIT");
	if (o->seal == NULL || o->seal_len == 0 || o->key == NULL || o->cert == NULL)
		return es_err_set(err, ES_EINVAL, "a seal, a signer key and a signer certificate are required");
	if (in == NULL || out == NULL || strcmp(in, out) == 0 || same_file(in, out))
		return es_err_set(err, ES_EINVAL, "the output must be a different file from the input");
	return 0;
}

static void fill_result(const sctx *s, es_ofd_sign_result *res)
{
	size_t i;

	memset(res, 0, sizeof(*res));
	if (snprintf(res->sign_path, sizeof(res->sign_path), "/%sSignature.xml", s->sign_dir) < 0)
		res->sign_path[0] = 0;
	res->nstamps = s->nst;
	for (i = 0; i < s->nst; i++) {
		const double *box = s->doc.pages[s->st[i].page].box;

		res->stamps[i].page = s->st[i].page + 1;
		res->stamps[i].x_mm = s->st[i].b[0] - box[0];
		res->stamps[i].y_mm = s->st[i].b[1] - box[1];
		res->stamps[i].w_mm = s->st[i].b[2];
		res->stamps[i].h_mm = s->st[i].b[3];
	}
}

static int sign_pkg(sctx *s, const char *in, const char *out, es_err *err)
{
	int rc, listed;

	if ((rc = ofd_pkg_open(&s->p, in, err)) < 0 || (rc = ofd_doc_load(&s->doc, s->p, err)) < 0)
		return rc;
	listed = ofd_seal_lists(s->o->seal, s->o->seal_len, s->o->cert, err);
	if (listed < 0)
		return es_err_set(err, ES_EINVAL, "the seal cannot be parsed: %s", err ? err->msg : "");
	if (listed == 0)
		return es_err_set(err, ES_EINVAL,
				  "the signer certificate is not in the seal's certificate list; use the seal holder's certificate");
	s->w_mm = s->o->width_mm;
	s->h_mm = s->o->height_mm;
	if ((s->w_mm <= 0 || s->h_mm <= 0) && (rc = ofd_seal_size(&s->w_mm, &s->h_mm, s->o->seal, s->o->seal_len, err)) < 0)
		return rc;
	if (s->w_mm <= 0 || s->h_mm <= 0)
		s->w_mm = s->h_mm = 40;
	if ((rc = place(s, err)) < 0 || (rc = choose_locations(s, err)) < 0 || (rc = build_files(s, err)) < 0)
		return rc;
	return write_zip(s, out, err);
}

int es_ofd_sign(const char *in_path, const char *out_path, const es_ofd_sign_opts *o,
		es_ofd_sign_result *res, es_err *err)
{
	sctx *s;
	size_t i;
	int rc;

	if ((rc = check_opts(o, in_path, out_path, err)) < 0)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	s->o = o;
	s->when = time(NULL);
	rc = sign_pkg(s, in_path, out_path, err);
	if (rc == 0 && res)
		fill_result(s, res);
	for (i = 0; i < s->nnf; i++)
		es_buf_free(&s->nf[i].data, 0);
	ofd_doc_clear(&s->doc);
	ofd_pkg_free(s->p);
	free(s);
	return rc;
}

int es_ofd_is_ofd(const char *path)
{
	ofd_pkg *p = NULL;
	int ok = ofd_pkg_open(&p, path, NULL) == 0;

	ofd_pkg_free(p);
	return ok;
}
