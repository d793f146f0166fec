/* es_pdf_verify: strict PAdES verification with revision analysis.
 * docs/pdf-verification.md lists every check and docs/verify-report.md every
 * finding code.  ISO 32000-2 §12.8, ETSI EN 319 142-1, EN 319 102-1.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "eseal/verify.h"
#include "util/util.h"
#include "vint.h"
#include "vpdf.h"

#define PDF_HEADER_SEARCH_LEN 1024
#define ES_MM_PER_PT (25.4 / 72.0)
#define DSS_MAX_ITEMS 2000
#define XREF_BAD_KEEP 64
#define SHA256_DIGEST_LEN 32

typedef struct vsig {
	size_t rep;                 /* index into r->sigs */
	int field_num, sig_num;     /* sig_num 0: /V is a direct dictionary */
	long long br[4];
	int have_br;                /* /ByteRange lexed as 4 integers */
	size_t dict_ofs;
	size_t cs, ce;              /* /Contents token span */
	unsigned char *der;
	size_t der_len;
	char subfilter[48];
	int doc_ts, is_cert, mdp_p;
	char claimed_m[32];
	size_t signed_end;          /* 0: byte range unusable */
	int fatal;                  /* structural failure: no CMS check */
	int skip_cms;               /* unsupported format: no CMS check */
	cms_out cms;
	int lt;
	size_t trust_from, trust_to;  /* findings of the chain and revocation step */
} vsig;

typedef struct vctx {
	fz_context *ctx;
	pdf_document *doc;
	const unsigned char *buf;
	size_t len;
	pdf_revs revs;
	vsig *sigs;
	int nsigs;
	int nvisited;
	es_report *r;
	es_err *err;
	dss_data dss;
	int perms_num;              /* catalog /Perms /DocMDP object, 0 none */
	const es_verify_opts *o;
	int xref_bad;               /* xref entries not pointing at "num gen obj" */
	int xref_bad_num;
	int page_budget;            /* page lookups left for widget placement */
	int bad_num[XREF_BAD_KEEP]; /* the first of them, with their offsets */
	int64_t bad_ofs[XREF_BAD_KEEP];
	range_hasher rh;            /* one pass per digest for all byte ranges */
	page_iter pit;              /* pages in order, one walk of the tree */
} vctx;

static es_sig_report *srep(vctx *v, int i)
{
	return &v->r->sigs[v->sigs[i].rep];
}

static void quiet(void *user, const char *msg)
{
	(void)user;
	(void)msg;
}

/* ---- collecting signature fields (MuPDF side; may throw) ---- */

static int known_subfilter(const char *sf)
{
	return strcmp(sf, "adbe.pkcs7.detached") == 0 || strcmp(sf, "ETSI.CAdES.detached") == 0 ||
	       strcmp(sf, "ETSI.RFC3161") == 0;
}

static pdf_obj *find_widget(fz_context *ctx, pdf_obj *field)
{
	pdf_obj *kids = pdf_dict_get(ctx, field, PDF_NAME(Kids));
	int i;

	if (pdf_name_eq(ctx, pdf_dict_get(ctx, field, PDF_NAME(Subtype)), PDF_NAME(Widget)))
		return field;
	for (i = 0; i < pdf_array_len(ctx, kids) && i < ES_PDF_MAX_FIELDS; i++) {
		pdf_obj *k = pdf_array_get(ctx, kids, i);

		if (pdf_name_eq(ctx, pdf_dict_get(ctx, k, PDF_NAME(Subtype)), PDF_NAME(Widget)))
			return k;
	}
	return NULL;
}

/* Page i's /Annots, not parsing the page when its bytes show it has none. */
static pdf_obj *page_annots(vctx *v, int i)
{
	pdf_obj *page = page_iter_get(v->ctx, v->doc, &v->pit, i);
	int names = page_iter_names(&v->pit, i);

	if (names == PAGE_NAMES_UNKNOWN)
		names = page_plain_names(v->ctx, v->doc, v->buf, v->len, page);

	if (names >= 0 && !(names & PAGE_HAS_ANNOTS))
		return NULL;
	return pdf_dict_get(v->ctx, page, PDF_NAME(Annots));
}

static int page_of_widget(vctx *v, pdf_obj *w)
{
	fz_context *ctx = v->ctx;
	pdf_obj *p = pdf_dict_get(ctx, w, PDF_NAME(P));
	int n = pdf_count_pages(ctx, v->doc), i, j, budget = ES_PDF_MAX_FIELDS;

	if (pdf_is_dict(ctx, p)) {
		int k = pdf_lookup_page_number(ctx, v->doc, p);

		if (k >= 0)
			return k;
	}
	for (i = 0; i < n && i < ES_PDF_MAX_PAGES && budget > 0 && --v->page_budget > 0; i++) {
		pdf_obj *annots = page_annots(v, i);

		for (j = 0; j < pdf_array_len(ctx, annots) && --budget > 0; j++)
			if (pdf_to_num(ctx, pdf_array_get(ctx, annots, j)) == pdf_to_num(ctx, w))
				return i;
	}
	return -1;
}

static void set_picture(vctx *v, es_sig_report *s, pdf_obj *field)
{
	fz_context *ctx = v->ctx;
	pdf_obj *w = find_widget(ctx, field), *page;
	fz_rect rect, media, disp;
	fz_matrix ctm;
	int pno;

	if (w == NULL)
		return;
	rect = pdf_dict_get_rect(ctx, w, PDF_NAME(Rect));
	if (fz_is_empty_rect(rect) || (pno = page_of_widget(v, w)) < 0)
		return;
	page = page_iter_get(ctx, v->doc, &v->pit, pno);
	media = pdf_to_rect(ctx, pdf_dict_get_inheritable(ctx, page, PDF_NAME(MediaBox)));
	s->page = pno + 1;
	/* As a reader shows the page: /CropBox, /Rotate and /UserUnit applied,
	 * origin top-left (the same frame eseal sign places seals in). */
	disp = fz_make_rect(rect.x0 - media.x0, media.y1 - rect.y1, rect.x1 - media.x0, media.y1 - rect.y0);
	fz_var(disp);
	fz_try(ctx) {
		pdf_page_obj_transform(ctx, page, &media, &ctm);
		disp = fz_transform_rect(rect, ctm);
	}
	fz_catch(ctx) {
		/* keep the plain MediaBox frame */
	}
	s->x_mm = disp.x0 * ES_MM_PER_PT;
	s->y_mm = disp.y0 * ES_MM_PER_PT;
	s->w_mm = (disp.x1 - disp.x0) * ES_MM_PER_PT;
	s->h_mm = (disp.y1 - disp.y0) * ES_MM_PER_PT;
}

static void read_docmdp(vctx *v, vsig *g, pdf_obj *sig)
{
	fz_context *ctx = v->ctx;
	pdf_obj *refs = pdf_dict_get(ctx, sig, PDF_NAME(Reference));
	int i;

	for (i = 0; i < pdf_array_len(ctx, refs) && i < ES_PDF_MAX_FIELDS; i++) {
		pdf_obj *ref = pdf_array_get(ctx, refs, i);

		if (pdf_name_eq(ctx, pdf_dict_get(ctx, ref, PDF_NAME(TransformMethod)),
				PDF_NAME(DocMDP))) {
			pdf_obj *p = pdf_dict_get(ctx, pdf_dict_get(ctx, ref, PDF_NAME(TransformParams)),
						  PDF_NAME(P));

			g->is_cert = 1;
			g->mdp_p = pdf_is_int(ctx, p) ? pdf_to_int(ctx, p) : 2;
		}
	}
	if (v->perms_num > 0 && g->sig_num == v->perms_num && !g->is_cert) {
		g->is_cert = 1;
		g->mdp_p = 2;
	}
}

static void fail(vctx *v, int i, const char *code, const char *en, const char *zh)
{
	es_report_add(v->r, srep(v, i), ES_SEV_FAIL, code, en, zh, v->err);
	v->sigs[i].fatal = 1;
}

static void read_sig_dict(vctx *v, int i, pdf_obj *sig)
{
	fz_context *ctx = v->ctx;
	vsig *g = &v->sigs[i];
	pdf_obj *type = pdf_dict_get(ctx, sig, PDF_NAME(Type));
	const char *sf = pdf_dict_get_name(ctx, sig, PDF_NAME(SubFilter));
	pdf_obj *m = pdf_dict_get(ctx, sig, PDF_NAME(M));
	int is_dts = strcmp(pdf_to_name(ctx, type), "DocTimeStamp") == 0;

	snprintf(g->subfilter, sizeof(g->subfilter), "%s", sf ? sf : "");
	if (pdf_is_string(ctx, m) && pdf_to_date(ctx, m) > 0)
		es_time_iso(g->claimed_m, sizeof(g->claimed_m), (time_t)pdf_to_date(ctx, m));
	/* ISO 32000-2 Table 255: /Type optional for /Sig, required for /DocTimeStamp */
	if (type != NULL && !pdf_name_eq(ctx, type, PDF_NAME(Sig)) && !is_dts)
		fail(v, i, "SIG_DICT_INVALID", "the signature dictionary's /Type is not /Sig or /DocTimeStamp",
		     "签名字典的 /Type 不是 /Sig 或 /DocTimeStamp");
	if (strcmp(g->subfilter, "adbe.x509.rsa_sha1") == 0 ||
	    strcmp(g->subfilter, "adbe.pkcs7.sha1") == 0) {
		es_report_add(v->r, srep(v, i), ES_SEV_INDET, "SUBFILTER_UNSUPPORTED",
			      "this legacy signature format (SHA-1 based /SubFilter) is not supported",
			      "不支持该旧式签名格式（基于 SHA-1 的 /SubFilter）", v->err);
		g->skip_cms = 1;
	} else if (!known_subfilter(g->subfilter)) {
		fail(v, i, "SUBFILTER_UNKNOWN", "the signature /SubFilter is missing or unknown",
		     "签名 /SubFilter 缺失或未知");
	}
	if (is_dts != (strcmp(g->subfilter, "ETSI.RFC3161") == 0) && !g->fatal && !g->skip_cms)
		fail(v, i, "SIG_DICT_INVALID", "/Type /DocTimeStamp and /SubFilter ETSI.RFC3161 must go together",
		     "/Type /DocTimeStamp 必须与 /SubFilter ETSI.RFC3161 一起使用");
	g->doc_ts = strcmp(g->subfilter, "ETSI.RFC3161") == 0;
	read_docmdp(v, g, sig);
}

/* Locate the signature dictionary in the raw bytes. */
static int locate_dict(vctx *v, vsig *g)
{
	fz_context *ctx = v->ctx;
	int num = g->sig_num ? g->sig_num : g->field_num;
	pdf_xref_entry *e;
	size_t body, p, s, t;
	lx_tok tok;

	if (num <= 0 || num >= pdf_xref_len(ctx, v->doc))
		return -1;
	e = pdf_get_xref_entry_no_null(ctx, v->doc, num);
	if (e->type != 'n' || e->ofs < 0 || lx_obj_header(v->buf, v->len, (size_t)e->ofs, num, &body) < 0)
		return -1;
	p = body;
	tok = lx_next(v->buf, v->len, &p);
	if (tok.kind != LX_DICT_OPEN)
		return -1;
	if (g->sig_num) {
		g->dict_ofs = tok.start;
		return 0;
	}
	if (lx_dict_find(v->buf, v->len, tok.start, "V", &s, &t) != 1)
		return -1;
	p = s;
	tok = lx_next(v->buf, v->len, &p);
	if (tok.kind != LX_DICT_OPEN)
		return -1;
	g->dict_ofs = tok.start;
	return 0;
}

static void add_sig(vctx *v, pdf_obj *field, pdf_obj *val)
{
	fz_context *ctx = v->ctx;
	es_sig_report *s;
	vsig *g;
	char *name = NULL;
	int i, doc_ts;

	for (i = 0; i < v->nsigs; i++)
		if (pdf_to_num(ctx, field) != 0 && v->sigs[i].field_num == pdf_to_num(ctx, field))
			return;
	/* ISO 32000-1 12.7.3.1: a kid without /T is another widget of its parent
	 * field.  Some signers repeat the parent's /V on such kids (poppler needs
	 * it); that is the same signature, not a second one sharing a ByteRange. */
	if (pdf_is_indirect(ctx, val) && pdf_dict_get(ctx, field, PDF_NAME(T)) == NULL) {
		int parent = pdf_to_num(ctx, pdf_dict_get(ctx, field, PDF_NAME(Parent)));
		for (i = 0; i < v->nsigs; i++) {
			if (parent == 0 || v->sigs[i].field_num != parent ||
			    v->sigs[i].sig_num != pdf_to_num(ctx, val))
				continue;
			if (srep(v, i)->page == 0)
				set_picture(v, srep(v, i), field);
			return;
		}
	}
	if (v->nsigs >= ES_PDF_MAX_SIGS)
		return;
	doc_ts = strcmp(pdf_dict_get_name(ctx, val, PDF_NAME(Type)), "DocTimeStamp") == 0 ||
		 strcmp(pdf_dict_get_name(ctx, val, PDF_NAME(SubFilter)), "ETSI.RFC3161") == 0;
	if (es_report_add_sig(v->r, &s, doc_ts ? "doc-timestamp" : "pades", v->err) < 0)
		fz_throw(ctx, FZ_ERROR_GENERIC, "out of memory");
	i = v->nsigs++;
	g = &v->sigs[i];
	memset(g, 0, sizeof(*g));
	g->rep = v->r->nsigs - 1;
	g->mdp_p = 2;
	g->field_num = pdf_to_num(ctx, field);
	g->sig_num = pdf_is_indirect(ctx, val) ? pdf_to_num(ctx, val) : 0;
	fz_var(name);
	fz_try(ctx) {
		name = pdf_field_name(ctx, field);
		snprintf(s->field, sizeof(s->field), "%s", name);
	}
	fz_always(ctx)
		fz_free(ctx, name);
	fz_catch(ctx)
		s->field[0] = '\0';
	set_picture(v, srep(v, i), field);
	if (!pdf_is_dict(ctx, val)) {
		fail(v, i, "SIG_DICT_INVALID", "the signature field's /V is not a dictionary",
		     "签名域的 /V 不是字典");
		return;
	}
	read_sig_dict(v, i, val);
	if (locate_dict(v, g) < 0)
		fail(v, i, "SIG_DICT_UNLOCATABLE",
		     "the signature dictionary cannot be found at its byte offset (object stream or broken xref)",
		     "无法在文件中定位签名字典（位于对象流中或交叉引用表损坏）");
}

static void visit_field(vctx *v, pdf_obj *f, int depth)
{
	fz_context *ctx = v->ctx;
	pdf_obj *kids, *val;
	int i;

	if (!pdf_is_dict(ctx, f) || depth > ES_PDF_MAX_DEPTH || ++v->nvisited > ES_PDF_MAX_FIELDS)
		return;
	val = pdf_dict_get(ctx, f, PDF_NAME(V));
	if (pdf_name_eq(ctx, pdf_dict_get_inheritable(ctx, f, PDF_NAME(FT)), PDF_NAME(Sig)) &&
	    val != NULL && !pdf_is_null(ctx, val))
		add_sig(v, f, val);
	kids = pdf_dict_get(ctx, f, PDF_NAME(Kids));
	for (i = 0; i < pdf_array_len(ctx, kids); i++)
		visit_field(v, pdf_array_get(ctx, kids, i), depth + 1);
}

static void collect_fields(vctx *v)
{
	fz_context *ctx = v->ctx;
	pdf_obj *root = pdf_dict_get(ctx, pdf_trailer(ctx, v->doc), PDF_NAME(Root));
	pdf_obj *fields = pdf_dict_getp(ctx, root, "AcroForm/Fields");
	pdf_obj *perm = pdf_dict_getp(ctx, root, "Perms/DocMDP");
	int i, j, n;

	v->perms_num = pdf_is_indirect(ctx, perm) ? pdf_to_num(ctx, perm) : 0;
	for (i = 0; i < pdf_array_len(ctx, fields); i++)
		visit_field(v, pdf_array_get(ctx, fields, i), 0);
	/* widgets of signature fields that /Fields does not list */
	n = pdf_count_pages(ctx, v->doc);
	for (i = 0; i < n && i < ES_PDF_MAX_PAGES && v->nvisited < ES_PDF_MAX_FIELDS; i++) {
		pdf_obj *annots = page_annots(v, i);

		for (j = 0; j < pdf_array_len(ctx, annots) && j < ES_PDF_MAX_FIELDS; j++) {
			pdf_obj *a = pdf_array_get(ctx, annots, j), *f = a;
			int up = 0;

			while (pdf_dict_get(ctx, f, PDF_NAME(V)) == NULL &&
			       pdf_dict_get(ctx, f, PDF_NAME(Parent)) && up++ < ES_PDF_MAX_DEPTH)
				f = pdf_dict_get(ctx, f, PDF_NAME(Parent));
			v->nvisited++;
			if (pdf_name_eq(ctx, pdf_dict_get_inheritable(ctx, f, PDF_NAME(FT)), PDF_NAME(Sig)) &&
			    pdf_dict_get(ctx, f, PDF_NAME(V)) && !pdf_is_null(ctx, pdf_dict_get(ctx, f, PDF_NAME(V))))
				add_sig(v, f, pdf_dict_get(ctx, f, PDF_NAME(V)));
		}
	}
}

static void dss_load_list(vctx *v, pdf_obj *arr, int what)
{
	fz_context *ctx = v->ctx;
	int i;

	for (i = 0; i < pdf_array_len(ctx, arr) && i < DSS_MAX_ITEMS; i++) {
		fz_buffer *b = NULL;
		const unsigned char *p;

		fz_var(b);
		fz_try(ctx) {
			b = pdf_load_stream(ctx, pdf_array_get(ctx, arr, i));
			p = b->data;
			if (what == 0) {
				X509 *c = vcert_d2i(&p, (long)b->len);

				if (c && sk_X509_push(v->dss.certs, c) <= 0)
					X509_free(c);
			} else if (what == 1) {
				X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)b->len);

				if (c && sk_X509_CRL_push(v->dss.crls, c) <= 0)
					X509_CRL_free(c);
			} else {
				unsigned char **no = realloc(v->dss.ocsps, (v->dss.nocsps + 1) * sizeof(*no));
				size_t *nl = no ? realloc(v->dss.ocsp_lens, (v->dss.nocsps + 1) * sizeof(*nl)) : NULL;
				unsigned char *copy = nl ? malloc(b->len ? b->len : 1) : NULL;

				if (no)
					v->dss.ocsps = no;
				if (nl)
					v->dss.ocsp_lens = nl;
				if (copy) {
					memcpy(copy, b->data, b->len);
					v->dss.ocsps[v->dss.nocsps] = copy;
					v->dss.ocsp_lens[v->dss.nocsps++] = b->len;
				}
			}
		}
		fz_always(ctx)
			fz_drop_buffer(ctx, b);
		fz_catch(ctx) {
			/* unreadable DSS item: just not used */
		}
	}
}

static void load_dss(vctx *v)
{
	fz_context *ctx = v->ctx;
	pdf_obj *dss = pdf_dict_getp(ctx, pdf_dict_get(ctx, pdf_trailer(ctx, v->doc), PDF_NAME(Root)), "DSS");

	v->dss.certs = sk_X509_new_null();
	v->dss.crls = sk_X509_CRL_new_null();
	if (!pdf_is_dict(ctx, dss) || v->dss.certs == NULL || v->dss.crls == NULL)
		return;
	dss_load_list(v, pdf_dict_gets(ctx, dss, "Certs"), 0);
	dss_load_list(v, pdf_dict_gets(ctx, dss, "CRLs"), 1);
	dss_load_list(v, pdf_dict_gets(ctx, dss, "OCSPs"), 2);
}

/* ---- raw checks of /ByteRange and /Contents (no MuPDF) ---- */

static int lex_byterange(vctx *v, vsig *g)
{
	size_t s, e, p;
	int k;
	lx_tok t;

	if (lx_dict_find(v->buf, v->len, g->dict_ofs, "ByteRange", &s, &e) != 1)
		return -1;
	p = s;
	if (lx_next(v->buf, v->len, &p).kind != LX_ARR_OPEN)
		return -1;
	for (k = 0; k < 4; k++) {
		t = lx_next(v->buf, v->len, &p);
		if (t.kind != LX_INT)
			return -1;
		g->br[k] = t.ival;
	}
	if (lx_next(v->buf, v->len, &p).kind != LX_ARR_CLOSE)
		return -1;
	g->have_br = 1;
	return 0;
}

static int lex_contents(vctx *v, vsig *g)
{
	size_t s, e, p;
	lx_tok t;

	if (lx_dict_find(v->buf, v->len, g->dict_ofs, "Contents", &s, &e) != 1)
		return -1;
	p = s;
	t = lx_next(v->buf, v->len, &p);
	if (t.kind != LX_HEX)
		return -1;
	g->cs = t.start;
	g->ce = t.end;
	return 0;
}

static int decode_contents(vsig *g, const unsigned char *b)
{
	size_t i, n = 0, digits = 0;
	unsigned char *out;
	int hi = -1;

	if (g->ce - g->cs > 2 * ES_PDF_MAX_CONTENTS_LEN + 2)
		return -1;
	out = malloc((g->ce - g->cs) / 2 + 1);
	if (out == NULL)
		return -1;
	for (i = g->cs + 1; i + 1 < g->ce; i++) {
		unsigned char c = b[i];
		int d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ?
			(c | 0x20) - 'a' + 10 : -1;

		if (d < 0)
			continue;  /* white space inside the hex string */
		digits++;
		if (hi < 0) {
			hi = d;
		} else {
			out[n++] = (unsigned char)(hi << 4 | d);
			hi = -1;
		}
	}
	if (hi >= 0)
		out[n++] = (unsigned char)(hi << 4);  /* ISO 32000 §7.3.4.3: odd digit count */
	g->der = out;
	g->der_len = n;
	return digits > 0 ? 0 : -1;
}

static void check_byterange(vctx *v, int i)
{
	vsig *g = &v->sigs[i];
	long long *br = g->br;

	if (lex_contents(v, g) < 0) {
		fail(v, i, "CONTENTS_INVALID", "/Contents is missing, duplicated or not a hex string",
		     "/Contents 缺失、重复或不是十六进制字符串");
		return;
	}
	if (lex_byterange(v, g) < 0) {
		fail(v, i, "BYTERANGE_INVALID", "/ByteRange is missing, duplicated or not exactly four integers",
		     "/ByteRange 缺失、重复或不是恰好四个整数");
		return;
	}
	if (br[0] != 0 || br[1] < 0 || br[2] < 0 || br[3] < 0 || br[1] >= br[2] ||
	    (unsigned long long)br[2] + (unsigned long long)br[3] > v->len) {
		fail(v, i, "BYTERANGE_INVALID",
		     "/ByteRange is not [0 a b c] with 0 <= a < b and b + c within the file",
		     "/ByteRange 不是 [0 a b c] 形式（0 <= a < b 且 b + c 不超出文件）");
		return;
	}
	if ((size_t)br[1] != g->cs || (size_t)br[2] != g->ce) {
		fail(v, i, "BYTERANGE_HOLE_MISMATCH",
		     "the gap in /ByteRange is not exactly this signature's /Contents string",
		     "/ByteRange 的空隙与本签名的 /Contents 字符串不一致");
		return;
	}
	if (!pdf_revs_is_end(&v->revs, (size_t)(br[2] + br[3]))) {
		fail(v, i, "BYTERANGE_NOT_REVISION_END",
		     "the signed bytes do not end at the end of a revision (%EOF)",
		     "签名范围的结尾不是某个修订版本的结尾（%EOF）");
		return;
	}
	g->signed_end = (size_t)(br[2] + br[3]);
	if (decode_contents(g, v->buf) < 0)
		fail(v, i, "CMS_MALFORMED", "/Contents is empty or too large",
		     "/Contents 为空或过大");
}

static void check_shared(vctx *v)
{
	int i, j;

	for (i = 0; i < v->nsigs; i++)
		for (j = 0; j < i; j++) {
			vsig *a = &v->sigs[i], *b = &v->sigs[j];

			if (!a->have_br || !b->have_br)
				continue;
			if (memcmp(a->br, b->br, sizeof(a->br)) == 0 ||
			    (a->cs == b->cs && a->cs != 0) ||
			    (a->sig_num != 0 && a->sig_num == b->sig_num)) {
				fail(v, i, "BYTERANGE_SHARED",
				     "two signatures share the same /ByteRange or /Contents",
				     "两个签名共用同一个 /ByteRange 或 /Contents");
				fail(v, j, "BYTERANGE_SHARED",
				     "two signatures share the same /ByteRange or /Contents",
				     "两个签名共用同一个 /ByteRange 或 /Contents");
			}
		}
}

static void sig_input_of(vctx *v, int i, sig_input *in)
{
	vsig *g = &v->sigs[i];

	memset(in, 0, sizeof(*in));
	in->file = v->buf;
	in->file_len = v->len;
	memcpy(in->br, g->br, sizeof(in->br));
	in->der = g->der;
	in->der_len = g->der_len;
	in->subfilter = g->subfilter;
	in->doc_ts = g->doc_ts;
	in->claimed_m = g->claimed_m;
	in->rh = &v->rh;
}

static void check_cms(vctx *v, int i)
{
	sig_input in;

	sig_input_of(v, i, &in);
	cms_check(v->r, srep(v, i), &in, &v->sigs[i].cms, v->err);
}

static void check_digest(vctx *v, int i)
{
	sig_input in;

	sig_input_of(v, i, &in);
	cms_check_digest(v->r, srep(v, i), &in, &v->sigs[i].cms, v->err);
}

/* Chain and revocation, for a signature whose CMS held so far (the digest
 * of the signed bytes is compared after: check_digest). */
static void check_trust(vctx *v, int i)
{
	vsig *g = &v->sigs[i];

	es_sig_report *s = srep(v, i);

	g->trust_from = s->nfindings;
	if (g->cms.signer != NULL && g->cms.crypto_ok)
		cms_trust(v->r, s, &g->cms, v->o, &v->dss, &g->lt, v->err);
	g->trust_to = s->nfindings;
}

/* DocMDP (ISO 32000-2 §12.8.2.2): one certification signature, the first. */
static int docmdp_level(vctx *v)
{
	int i, first = -1, cert = -1, p = 2;

	for (i = 0; i < v->nsigs; i++)
		if (v->sigs[i].signed_end > 0 && !v->sigs[i].doc_ts &&
		    (first < 0 || v->sigs[i].signed_end < v->sigs[first].signed_end))
			first = i;
	for (i = 0; i < v->nsigs; i++) {
		if (!v->sigs[i].is_cert)
			continue;
		if (cert >= 0 || (first >= 0 && i != first &&
				  v->sigs[i].signed_end != v->sigs[first].signed_end)) {
			fail(v, i, "CERTIFICATION_NOT_FIRST",
			     "a certification (DocMDP) signature must be the first and only one",
			     "认证（DocMDP）签名必须是第一个且唯一的签名");
			continue;
		}
		cert = i;
		p = v->sigs[i].mdp_p;
		if (p < 1 || p > 3) {
			fail(v, i, "SIG_DICT_INVALID", "DocMDP /P is not 1, 2 or 3",
			     "DocMDP /P 不是 1、2 或 3");
			p = 1;
		}
	}
	return p;
}

/* ---- revision analysis ---- */

static int is_last_revision(const vctx *v, size_t end)
{
	return v->revs.n > 0 && (end == v->revs.ends[v->revs.n - 1] ||
				 end == v->revs.eof_at[v->revs.n - 1]);
}

static void report_diff(vctx *v, int i, const diff_result *res)
{
	es_sig_report *s = srep(v, i);
	int k;

	if (res->disallowed == 0) {
		s->covers_whole = 1;
		vfind(v->r, s, ES_SEV_INFO, "LATER_CHANGES_ALLOWED", v->err,
		      "the document was updated after this signature; all %d change(s) are allowed "
		      "(signatures, timestamps, validation data)",
		      "本签名之后文档有更新；全部 %d 处修改均为允许的修改（签名、时间戳、验证数据）",
		      res->allowed);
		return;
	}
	s->covers_whole = 0;
	for (k = 0; k < res->nnotes; k++)
		vfind(v->r, s, ES_SEV_FAIL, "DISALLOWED_CHANGE", v->err,
		      "disallowed change after signing: %s", "签名后有不允许的修改：%s",
		      res->notes[k], res->notes[k]);
	if (res->disallowed > res->nnotes)
		vfind(v->r, s, ES_SEV_FAIL, "DISALLOWED_CHANGE", v->err,
		      "%d further disallowed change(s)", "另有 %d 处不允许的修改",
		      res->disallowed - res->nnotes);
}

/* A bad xref entry (check_xref_entries) that the signed revision did not
 * already have was introduced after signing.  Returns its object or 0. */
static int xref_redirected(vctx *v, pdf_document *ds)
{
	int k, n = pdf_xref_len(v->ctx, ds);

	for (k = 0; k < v->xref_bad && k < XREF_BAD_KEEP; k++) {
		pdf_xref_entry *e = v->bad_num[k] < n ?
			pdf_get_xref_entry_no_null(v->ctx, ds, v->bad_num[k]) : NULL;

		if (e == NULL || e->type != 'n' || e->ofs != v->bad_ofs[k])
			return v->bad_num[k];
	}
	return 0;
}

static void check_changes(vctx *v, int i, int mdp_p)
{
	fz_context *ctx = v->ctx;
	vsig *g = &v->sigs[i];
	fz_stream *stm = NULL;
	pdf_document *ds = NULL;
	diff_result res;
	int failed = 0, redirected = 0;

	fz_var(redirected);
	if (g->signed_end == 0)
		return;
	if (is_last_revision(v, g->signed_end)) {
		srep(v, i)->covers_whole = 1;
		return;
	}
	memset(&res, 0, sizeof(res));
	fz_var(stm);
	fz_var(ds);
	fz_try(ctx) {
		stm = fz_open_memory(ctx, v->buf, g->signed_end);
		ds = pdf_open_document_with_stream(ctx, stm);
		redirected = xref_redirected(v, ds);
		rev_diff(ctx, ds, v->doc, v->buf, v->len, g->signed_end, mdp_p, &res);
	}
	fz_always(ctx) {
		pdf_drop_document(ctx, ds);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
		failed = 1;
	if (failed) {
		srep(v, i)->covers_whole = 0;
		fail(v, i, "REVISION_UNREADABLE",
		     "the signed revision or a later update cannot be parsed, so changes cannot be checked",
		     "无法解析签名的修订版本或其后的更新，无法检查修改");
		return;
	}
	if (redirected > 0) {
		res.disallowed++;
		if (res.nnotes < DIFF_MAX_NOTES)
			snprintf(res.notes[res.nnotes++], DIFF_NOTE_LEN,
				 "object %d: its xref entry was redirected to bytes that are not the object",
				 redirected);
	}
	report_diff(v, i, &res);
}

static void check_structure(vctx *v)
{
	if (v->nsigs == 0)
		return;
	if (v->revs.n > 0 && !v->revs.tail_ws_only)
		vfind(v->r, NULL, ES_SEV_FAIL, "TRAILING_DATA", v->err,
		      "%zu byte(s) after the last %%EOF do not form a PDF update",
		      "最后一个 %%EOF 之后有 %zu 字节不构成 PDF 增量更新", v->revs.tail_len);
	if (v->revs.chain_ok && v->revs.chain_len > v->revs.n)
		vfind(v->r, NULL, ES_SEV_FAIL, "REVISION_STRUCTURE", v->err,
		      "the file has %d xref section(s) but only %d %%EOF marker(s) (hidden update)",
		      "文件有 %d 个交叉引用段但只有 %d 个 %%EOF 标记（隐藏的更新）",
		      v->revs.chain_len, v->revs.n);
	else if (!v->revs.chain_ok || v->revs.chain_len != v->revs.n)
		vfind(v->r, NULL, ES_SEV_INDET, "REVISION_STRUCTURE", v->err,
		      "the startxref/Prev chain (%d section(s)) and the %%EOF markers (%d) disagree",
		      "startxref/Prev 链（%d 个）与 %%EOF 标记（%d 个）不一致",
		      v->revs.chain_len, v->revs.n);
	if (v->xref_bad > 0)
		vfind(v->r, NULL, ES_SEV_INFO, "XREF_ENTRY_MISMATCH", v->err,
		      "%d cross-reference entr(y/ies) (first: object %d) do not point at their object",
		      "%d 个交叉引用条目（首个：对象 %d）没有指向其对象", v->xref_bad, v->xref_bad_num);
	if (pdf_was_repaired(v->ctx, v->doc))
		vfind(v->r, NULL, ES_SEV_INDET, "XREF_BROKEN",
		      v->err, "the cross-reference table is broken; the file was analysed as repaired",
		      "交叉引用表损坏；按修复后的结构进行了分析");
}

static void finish_sig(vctx *v, int i)
{
	vsig *g = &v->sigs[i];
	es_sig_report *s = srep(v, i);
	size_t k;
	int j, failed = 0, lta = 0;

	/* integrity: everything but the chain and revocation findings */
	for (k = 0; k < s->nfindings; k++)
		if (k < g->trust_from || k >= g->trust_to)
			failed |= s->findings[k].severity == ES_SEV_FAIL;
	s->integrity_ok = g->cms.crypto_ok && !failed;
	if (g->doc_ts || !g->cms.crypto_ok)
		return;
	for (j = 0; j < v->nsigs; j++)
		if (v->sigs[j].doc_ts && v->sigs[j].cms.crypto_ok &&
		    v->sigs[j].signed_end > g->signed_end)
			lta = 1;
	snprintf(s->level, sizeof(s->level), "%s",
		 !g->cms.has_tst ? "B-B" : !g->lt ? "B-T" : !lta ? "B-LT" : "B-LTA");
}

static int has_pdf_header(const unsigned char *b, size_t len)
{
	size_t n = len < PDF_HEADER_SEARCH_LEN ? len : PDF_HEADER_SEARCH_LEN;

	return n >= 5 && memmem(b, n, "%PDF-", 5) != NULL;
}

/* The file's SHA-256 for the report, from the pass that also hashed the
 * signatures' byte ranges when they use SHA-256. */
static void set_file_sha256(es_report *r, range_hasher *rh)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (rh_file_digest(rh, EVP_sha256(), md, &mdlen) == 0 && mdlen == SHA256_DIGEST_LEN)
		es_hex_encode(r->file_sha256, md, mdlen);
}

/* Every in-use xref entry must point at its own "num gen obj" header:
 * redirecting an entry to another object's bytes is a shadow-attack trick
 * (viewers follow the entry; MuPDF would silently repair).  Run before any
 * object is loaded, while the xref is still the file's own. */
static void check_xref_entries(vctx *v)
{
	fz_context *ctx = v->ctx;
	int n = pdf_xref_len(ctx, v->doc), i;
	size_t body;

	for (i = 1; i < n && i < ES_PDF_MAX_OBJECTS; i++) {
		pdf_xref_entry *e = pdf_get_xref_entry_no_null(ctx, v->doc, i);

		if (e->type == 'n' && (e->ofs <= 0 ||
		    lx_obj_header(v->buf, v->len, (size_t)e->ofs, i, &body) < 0)) {
			if (v->xref_bad < XREF_BAD_KEEP) {
				v->bad_num[v->xref_bad] = i;
				v->bad_ofs[v->xref_bad] = e->ofs;
			}
			if (v->xref_bad++ == 0)
				v->xref_bad_num = i;
		}
	}
}

/* MuPDF part: open the document and collect signatures (any exception means
 * the file is not a PDF we can analyse). */
static int open_and_collect(vctx *v)
{
	fz_context *ctx = v->ctx;
	fz_stream *stm = NULL;
	int rc = 0;

	fz_var(stm);
	fz_try(ctx) {
		stm = fz_open_memory(ctx, v->buf, v->len);
		v->doc = pdf_open_document_with_stream(ctx, stm);
		check_xref_entries(v);
		collect_fields(v);
		load_dss(v);
	}
	fz_always(ctx)
		fz_drop_stream(ctx, stm);
	fz_catch(ctx) {
		if (v->doc == NULL)
			rc = es_err_set(v->err, ES_EFORMAT,
					"not a readable PDF (%s); check the file", fz_caught_message(ctx));
		else
			vfind(v->r, NULL, ES_SEV_FAIL, "PDF_MALFORMED", v->err,
			      "the PDF structure is malformed: %s", "PDF 结构错误：%s",
			      fz_caught_message(ctx), fz_caught_message(ctx));
	}
	return rc;
}

static void analyse(vctx *v)
{
	int i, mdp;

	for (i = 0; i < v->nsigs; i++)
		if (!v->sigs[i].fatal)
			check_byterange(v, i);
	for (i = 0; i < v->nsigs; i++)
		if (v->sigs[i].signed_end > 0)
			rh_add_cut(&v->rh, (size_t)v->sigs[i].br[1]);
	check_shared(v);
	for (i = 0; i < v->nsigs; i++)
		if (!v->sigs[i].fatal && !v->sigs[i].skip_cms)
			check_cms(v, i);
	mdp = docmdp_level(v);
	check_structure(v);
	for (i = 0; i < v->nsigs; i++)
		check_changes(v, i, mdp);
	for (i = 0; i < v->nsigs; i++)
		if (!v->sigs[i].fatal && !v->sigs[i].skip_cms)
			check_trust(v, i);
	for (i = 0; i < v->nsigs; i++)
		if (!v->sigs[i].fatal && !v->sigs[i].skip_cms)
			check_digest(v, i);
	for (i = 0; i < v->nsigs; i++)
		finish_sig(v, i);
	if (v->nsigs == 0)
		vfind(v->r, NULL, ES_SEV_INFO, "NO_SIGNATURES", v->err,
		      "the PDF has no signed signature field", "该 PDF 没有已签名的签名域");
}

#define GUESS_REGION_LEN ((size_t)1024 * 1024)
#define BYTERANGE_KEY "/ByteRange"

/* Gap starts in region [from, to): "/ByteRange [a b c d]" gives b. */
static int guess_in(const unsigned char *buf, size_t len, size_t from, size_t to, size_t *cuts,
		    int n, int max)
{
	const size_t klen = sizeof(BYTERANGE_KEY) - 1;

	while (n < max && from + klen <= to) {
		const unsigned char *hit = memmem(buf + from, to - from, BYTERANGE_KEY, klen);
		size_t p;
		lx_tok t;
		long long v[4];
		int i;

		if (hit == NULL)
			break;
		p = (size_t)(hit - buf) + klen;
		from = p;
		if (lx_next(buf, len, &p).kind != LX_ARR_OPEN)
			continue;
		for (i = 0; i < 4 && (t = lx_next(buf, len, &p)).kind == LX_INT; i++)
			v[i] = t.ival;
		if (i == 4 && lx_next(buf, len, &p).kind == LX_ARR_CLOSE && v[1] > 0 &&
		    (unsigned long long)v[1] <= len)
			cuts[n++] = (size_t)v[1];
	}
	return n;
}

/* Where the signatures' gaps probably start, from the bytes alone: the last
 * megabyte of every incremental update (of the file, when it has one
 * revision).  A guess for rh_start_async(); wrong or missed ones only cost
 * time. */
static int guess_cuts(const unsigned char *buf, size_t len, const pdf_revs *rv, size_t *cuts, int max)
{
	int k, n = 0;

	if (rv->n <= 1)
		return guess_in(buf, len, len > GUESS_REGION_LEN ? len - GUESS_REGION_LEN : 0, len, cuts, 0, max);
	for (k = 1; k < rv->n; k++) {
		size_t from = rv->ends[k - 1], to = rv->ends[k];

		if (to - from > GUESS_REGION_LEN)
			from = to - GUESS_REGION_LEN;
		n = guess_in(buf, len, from, to, cuts, n, max);
	}
	return n;
}

/* Anchors are often also in the CMS and the timestamp token: their parse
 * is reused for those bytes. */
static void remember_anchors(const es_verify_opts *o)
{
	int i;

	for (i = 0; i < sk_X509_num(o->anchors); i++)
		vcert_remember(sk_X509_value(o->anchors, i));
}

int es_pdf_verify_mem(es_report *r, const unsigned char *buf, size_t len,
		      const es_verify_opts *o, es_err *err)
{
	static const es_verify_opts defaults = ES_VERIFY_OPTS_INIT;
	vctx v;
	int rc, i;

	memset(&v, 0, sizeof(v));
	v.r = r;
	v.err = err;
	v.o = o ? o : &defaults;
	v.buf = buf;
	v.len = len;
	v.page_budget = ES_PDF_MAX_FIELDS;
	v.pit.buf = buf;
	v.pit.len = len;
	if (buf == NULL || !has_pdf_header(buf, len))
		return es_err_set(err, ES_EFORMAT, "not a PDF file (no %%PDF- header); check the file");
	snprintf(r->file_type, sizeof(r->file_type), "pdf");
	rh_init(&v.rh, buf, len);
	remember_anchors(v.o);
	v.sigs = calloc(ES_PDF_MAX_SIGS, sizeof(*v.sigs));
	v.ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
	if (v.sigs == NULL || v.ctx == NULL) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	fz_set_warning_callback(v.ctx, quiet, NULL);
	fz_set_error_callback(v.ctx, quiet, NULL);
	pdf_revs_scan(&v.revs, buf, len);
	if (len >= RH_ASYNC_MIN_LEN) {
		/* a large file is hashed on a second thread while it is parsed */
		size_t cuts[ES_PDF_MAX_SIGS];

		rh_start_async(&v.rh, cuts, guess_cuts(buf, len, &v.revs, cuts, ES_PDF_MAX_SIGS));
	}
	if ((rc = open_and_collect(&v)) < 0)
		goto out;
	analyse(&v);
	es_report_finish(r);
out:
	set_file_sha256(r, &v.rh);
	rh_clear(&v.rh);
	for (i = 0; v.sigs && i < v.nsigs; i++) {
		free(v.sigs[i].der);
		cms_out_clear(&v.sigs[i].cms);
	}
	free(v.sigs);
	dss_data_clear(&v.dss);
	if (v.ctx) {
		page_iter_drop(v.ctx, &v.pit);
		pdf_drop_document(v.ctx, v.doc);
		fz_drop_context(v.ctx);
	}
	return rc;
}

int es_pdf_verify(es_report *r, const char *path, const es_verify_opts *o, es_err *err)
{
	vfile file;
	int rc;

	if ((rc = vfile_read(&file, path, ES_PDF_MAX_FILE_LEN, o != NULL && o->map_input, err)) < 0)
		return rc == ES_ERANGE ? rc : es_err_set(err, ES_EIO, "cannot read %s; check the path", path);
	rc = es_pdf_verify_mem(r, file.data, file.len, o, err);
	vfile_free(&file);
	return rc;
}
