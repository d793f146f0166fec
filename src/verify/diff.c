/* Revision difference analysis: which objects changed after a signature, and
 * is each change on the whitelist (ISO 32000-2 §12.8.2.2 DocMDP, ETSI EN
 * 319 142-1 §5.4 LTV updates; Mainka et al. NDSS 2021 shadow attacks).
 * Whitelisting, not blacklisting: a change no rule explains is disallowed.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <string.h>
#include "vint.h"
#include "vpdf.h"

/* Object flags computed from the signed revision. */
enum {
	F_CATALOG = 1 << 0, F_DSS = 1 << 1, F_META = 1 << 2, F_ACRO = 1 << 3,
	F_FIELDS = 1 << 4, F_PAGE = 1 << 5, F_ANNOTS = 1 << 6, F_AP_OK = 1 << 7,
	F_EXISTS_S = 1 << 8, F_EXISTS_F = 1 << 9, F_CHANGED = 1 << 10, F_STRUCT = 1 << 11,
	F_USED = 1 << 12   /* reachable from the document other than via /DSS,
			    * /StructTreeRoot, /Metadata or /Info */
};

typedef struct dctx {
	fz_context *ctx;
	pdf_document *ds, *df;
	int mdp_p;
	int n;               /* max object count considered */
	unsigned *flags;
	unsigned *refs;      /* references to each object from the signed revision */
	int *pages_s, *pages_f;  /* page object numbers, signed and current */
	diff_result *out;
	const unsigned char *buf; /* the whole file */
	size_t len, signed_end;   /* its length; the end of the signed revision */
} dctx;

static void note(dctx *d, const char *fmt, int num, const char *what)
{
	d->out->disallowed++;
	if (d->out->nnotes < DIFF_MAX_NOTES)
		snprintf(d->out->notes[d->out->nnotes++], DIFF_NOTE_LEN, fmt, num, what);
}

/* Object num of doc, borrowed; NULL when absent or unloadable. */
static pdf_obj *get_obj(fz_context *ctx, pdf_document *doc, int num)
{
	pdf_xref_entry *e;
	pdf_obj *o = NULL;

	if (num <= 0 || num >= pdf_xref_len(ctx, doc))
		return NULL;
	fz_var(o);
	fz_try(ctx) {
		e = pdf_cache_object(ctx, doc, num);
		o = e ? e->obj : NULL;
	}
	fz_catch(ctx)
		o = NULL;
	return o;
}

static int entry_exists(fz_context *ctx, pdf_document *doc, int num)
{
	pdf_xref_entry *e;

	if (num <= 0 || num >= pdf_xref_len(ctx, doc))
		return 0;
	e = pdf_get_xref_entry_no_null(ctx, doc, num);
	return e->type == 'n' || e->type == 'o';
}

/* Deep equality of direct values; references compare by number. */
static int objeq(fz_context *ctx, pdf_obj *a, pdf_obj *b, int depth)
{
	int i, n;

	if (depth > ES_PDF_MAX_DEPTH)
		return 0;
	if (a == NULL || b == NULL)
		return a == b || (pdf_is_null(ctx, a) && pdf_is_null(ctx, b) &&
				  !pdf_is_indirect(ctx, a) && !pdf_is_indirect(ctx, b));
	if (pdf_is_indirect(ctx, a) || pdf_is_indirect(ctx, b))
		return pdf_is_indirect(ctx, a) && pdf_is_indirect(ctx, b) &&
		       pdf_to_num(ctx, a) == pdf_to_num(ctx, b) &&
		       pdf_to_gen(ctx, a) == pdf_to_gen(ctx, b);
	if (pdf_is_null(ctx, a) || pdf_is_null(ctx, b))
		return pdf_is_null(ctx, a) && pdf_is_null(ctx, b);
	if (pdf_is_bool(ctx, a) || pdf_is_bool(ctx, b))
		return pdf_is_bool(ctx, a) && pdf_is_bool(ctx, b) &&
		       pdf_to_bool(ctx, a) == pdf_to_bool(ctx, b);
	if (pdf_is_number(ctx, a) || pdf_is_number(ctx, b))
		return pdf_is_number(ctx, a) && pdf_is_number(ctx, b) &&
		       pdf_to_real(ctx, a) == pdf_to_real(ctx, b);
	if (pdf_is_name(ctx, a) || pdf_is_name(ctx, b))
		return pdf_is_name(ctx, a) && pdf_is_name(ctx, b) && pdf_name_eq(ctx, a, b);
	if (pdf_is_string(ctx, a) || pdf_is_string(ctx, b))
		return pdf_is_string(ctx, a) && pdf_is_string(ctx, b) &&
		       pdf_to_str_len(ctx, a) == pdf_to_str_len(ctx, b) &&
		       memcmp(pdf_to_str_buf(ctx, a), pdf_to_str_buf(ctx, b),
			      pdf_to_str_len(ctx, a)) == 0;
	if (pdf_is_array(ctx, a) || pdf_is_array(ctx, b)) {
		if (!pdf_is_array(ctx, a) || !pdf_is_array(ctx, b) ||
		    pdf_array_len(ctx, a) != pdf_array_len(ctx, b))
			return 0;
		n = pdf_array_len(ctx, a);
		for (i = 0; i < n; i++)
			if (!objeq(ctx, pdf_array_get(ctx, a, i), pdf_array_get(ctx, b, i), depth + 1))
				return 0;
		return 1;
	}
	if (pdf_is_dict(ctx, a) && pdf_is_dict(ctx, b)) {
		if (pdf_dict_len(ctx, a) != pdf_dict_len(ctx, b))
			return 0;
		n = pdf_dict_len(ctx, a);
		for (i = 0; i < n; i++)
			if (!objeq(ctx, pdf_dict_get_val(ctx, a, i),
				   pdf_dict_get(ctx, b, pdf_dict_get_key(ctx, a, i)), depth + 1))
				return 0;
		return 1;
	}
	return 0;
}

static int stream_eq(fz_context *ctx, pdf_document *ds, int ns, pdf_document *df, int nf)
{
	fz_buffer *a = NULL, *b = NULL;
	int eq = 0;

	fz_var(a);
	fz_var(b);
	fz_var(eq);
	fz_try(ctx) {
		a = pdf_load_raw_stream_number(ctx, ds, ns);
		b = pdf_load_raw_stream_number(ctx, df, nf);
		size_t la = a->len, lb = b->len;

		/* a repaired xref may take the EOL before "endstream" into the data */
		while (la > 0 && (a->data[la - 1] == '\n' || a->data[la - 1] == '\r'))
			la--;
		while (lb > 0 && (b->data[lb - 1] == '\n' || b->data[lb - 1] == '\r'))
			lb--;
		eq = la == lb && memcmp(a->data, b->data, la) == 0;
	}
	fz_always(ctx) {
		fz_drop_buffer(ctx, a);
		fz_drop_buffer(ctx, b);
	}
	fz_catch(ctx)
		eq = 0;
	return eq;
}

/* Two values are equivalent when equal, or when they are references to
 * objects with the same content (a writer that copies an unchanged
 * dictionary into a new object, e.g. page /Resources). */
static int val_equiv(fz_context *ctx, pdf_document *ds, pdf_document *df, pdf_obj *vs, pdf_obj *vf)
{
	pdf_obj *rs, *rf;

	if (objeq(ctx, vs, vf, 0))
		return 1;
	if (!pdf_is_indirect(ctx, vs) && !pdf_is_indirect(ctx, vf))
		return 0;
	rs = pdf_resolve_indirect(ctx, vs);
	rf = pdf_resolve_indirect(ctx, vf);
	if (rs == NULL || rf == NULL || !objeq(ctx, rs, rf, 0))
		return 0;
	if (pdf_is_stream(ctx, vs) != pdf_is_stream(ctx, vf))
		return 0;
	if (pdf_is_stream(ctx, vs))
		return pdf_is_indirect(ctx, vs) && pdf_is_indirect(ctx, vf) &&
		       stream_eq(ctx, ds, pdf_to_num(ctx, vs), df, pdf_to_num(ctx, vf));
	return 1;
}

/* Same bytes at the same place in both xrefs: unchanged without parsing. */
static int same_entry(fz_context *ctx, pdf_document *ds, pdf_document *df, int num, int depth)
{
	pdf_xref_entry *a = pdf_get_xref_entry_no_null(ctx, ds, num);
	pdf_xref_entry *b = pdf_get_xref_entry_no_null(ctx, df, num);

	if (a->type != b->type || a->ofs != b->ofs || a->gen != b->gen)
		return 0;
	if (a->type == 'n')
		return 1;
	if (a->type == 'o' && depth == 0 && a->ofs > 0 && a->ofs < INT32_MAX)
		return same_entry(ctx, ds, df, (int)a->ofs, 1);
	return 0;
}

/* Stream dictionaries compare without /Length: the bytes are compared
 * separately, and a repaired xref turns "/Length 3 0 R" into a number. */
static int stream_dict_eq(fz_context *ctx, pdf_obj *a, pdf_obj *b)
{
	int pass, i;

	for (pass = 0; pass < 2; pass++) {
		pdf_obj *x = pass ? b : a, *y = pass ? a : b;

		for (i = 0; i < pdf_dict_len(ctx, x); i++) {
			pdf_obj *k = pdf_dict_get_key(ctx, x, i);

			if (pdf_name_eq(ctx, k, PDF_NAME(Length)))
				continue;
			if (!objeq(ctx, pdf_dict_get_val(ctx, x, i), pdf_dict_get(ctx, y, k), 0))
				return 0;
		}
	}
	return 1;
}

static int obj_changed(dctx *d, int num)
{
	fz_context *ctx = d->ctx;
	pdf_obj *a, *b;

	if (same_entry(ctx, d->ds, d->df, num, 0))
		return 0;
	a = get_obj(ctx, d->ds, num);
	b = get_obj(ctx, d->df, num);
	if (pdf_obj_num_is_stream(ctx, d->ds, num) && pdf_obj_num_is_stream(ctx, d->df, num)) {
		if (!stream_dict_eq(ctx, a, b))
			return 1;
	} else if (!objeq(ctx, a, b, 0)) {
		return 1;
	}
	if (pdf_obj_num_is_stream(ctx, d->ds, num) != pdf_obj_num_is_stream(ctx, d->df, num))
		return 1;
	if (pdf_obj_num_is_stream(ctx, d->ds, num))
		return !stream_eq(ctx, d->ds, num, d->df, num);
	return 0;
}

static void count_refs(dctx *d, pdf_obj *o, int depth)
{
	fz_context *ctx = d->ctx;
	int i, n;

	if (o == NULL || depth > ES_PDF_MAX_DEPTH)
		return;
	if (pdf_is_indirect(ctx, o)) {
		int num = pdf_to_num(ctx, o);

		if (num > 0 && num < d->n)
			d->refs[num]++;
		return;
	}
	if (pdf_is_array(ctx, o)) {
		n = pdf_array_len(ctx, o);
		for (i = 0; i < n; i++)
			count_refs(d, pdf_array_get(ctx, o, i), depth + 1);
	} else if (pdf_is_dict(ctx, o)) {
		n = pdf_dict_len(ctx, o);
		for (i = 0; i < n; i++)
			count_refs(d, pdf_dict_get_val(ctx, o, i), depth + 1);
	}
}

static int is_struct_type(fz_context *ctx, pdf_obj *o)
{
	const char *t = pdf_dict_get_name(ctx, o, PDF_NAME(Type));

	return strcmp(t, "StructElem") == 0 || strcmp(t, "StructTreeRoot") == 0;
}

/* Mark everything reachable from o (in the signed revision) with flag. */
static void mark_reach(dctx *d, pdf_obj *o, unsigned flag, int depth, int *budget)
{
	fz_context *ctx = d->ctx;
	int i, n;

	if (o == NULL || depth > ES_PDF_MAX_DEPTH || --*budget < 0)
		return;
	if (pdf_is_indirect(ctx, o)) {
		int num = pdf_to_num(ctx, o);

		if (num <= 0 || num >= d->n || (d->flags[num] & flag))
			return;
		d->flags[num] |= flag;
		o = get_obj(ctx, d->ds, num);
		if (o == NULL)
			return;
		/* "used" stops at the logical structure: it does not render */
		if (flag == F_USED && is_struct_type(ctx, o))
			return;
	}
	if (pdf_is_array(ctx, o)) {
		n = pdf_array_len(ctx, o);
		for (i = 0; i < n; i++)
			mark_reach(d, pdf_array_get(ctx, o, i), flag, depth + 1, budget);
	} else if (pdf_is_dict(ctx, o)) {
		n = pdf_dict_len(ctx, o);
		for (i = 0; i < n; i++) {
			/* outline items point into the structure tree with /SE */
			if (flag == F_USED && strcmp(pdf_to_name(ctx, pdf_dict_get_key(ctx, o, i)), "SE") == 0)
				continue;
			mark_reach(d, pdf_dict_get_val(ctx, o, i), flag, depth + 1, budget);
		}
	}
}

/* Logical structure (ISO 32000-2 §14.7): does not affect rendering.  Follow
 * only structure objects, never /Pg, /Obj or /Stm into page content. */
static void mark_struct(dctx *d, pdf_obj *o, int depth, int *budget)
{
	fz_context *ctx = d->ctx;
	int i, n;

	if (o == NULL || depth > ES_PDF_MAX_DEPTH || --*budget < 0)
		return;
	if (pdf_is_indirect(ctx, o)) {
		int num = pdf_to_num(ctx, o);
		const char *t;

		if (num <= 0 || num >= d->n || (d->flags[num] & F_STRUCT))
			return;
		o = get_obj(ctx, d->ds, num);
		if (o == NULL || pdf_obj_num_is_stream(ctx, d->ds, num))
			return;
		t = pdf_dict_get_name(ctx, o, PDF_NAME(Type));
		if (pdf_is_dict(ctx, o) && *t && strcmp(t, "StructTreeRoot") != 0 &&
		    strcmp(t, "StructElem") != 0 && strcmp(t, "MCR") != 0 && strcmp(t, "OBJR") != 0)
			return;
		d->flags[num] |= F_STRUCT;
	}
	if (pdf_is_array(ctx, o)) {
		n = pdf_array_len(ctx, o);
		for (i = 0; i < n; i++)
			mark_struct(d, pdf_array_get(ctx, o, i), depth + 1, budget);
	} else if (pdf_is_dict(ctx, o)) {
		n = pdf_dict_len(ctx, o);
		for (i = 0; i < n; i++) {
			const char *k = pdf_to_name(ctx, pdf_dict_get_key(ctx, o, i));

			if (strcmp(k, "Pg") && strcmp(k, "Obj") && strcmp(k, "Stm") && strcmp(k, "StmOwn"))
				mark_struct(d, pdf_dict_get_val(ctx, o, i), depth + 1, budget);
		}
	}
}

static void flag_ref(dctx *d, pdf_obj *o, unsigned flag)
{
	int num = pdf_is_indirect(d->ctx, o) ? pdf_to_num(d->ctx, o) : 0;

	if (num > 0 && num < d->n)
		d->flags[num] |= flag;
}

/* Page object numbers in order, walking /Pages /Kids ourselves (linear,
 * depth- and count-capped; MuPDF's lookup is linear per call).  Returns the
 * count, or -1 when the tree is too large or malformed. */
static int walk_pages(fz_context *ctx, pdf_obj *node, int *out, int n, int cap, int depth,
		      int *budget)
{
	pdf_obj *kids = pdf_dict_get(ctx, node, PDF_NAME(Kids));
	int i;

	/* the budget bounds /Kids cycles (A -> [A A ...]) to linear work */
	if (depth > ES_PDF_MAX_DEPTH || n < 0 || --*budget < 0)
		return -1;
	if (!pdf_is_array(ctx, kids)) {
		if (n >= cap)
			return -1;
		out[n] = pdf_to_num(ctx, node);
		return n + 1;
	}
	for (i = 0; i < pdf_array_len(ctx, kids) && n >= 0; i++)
		n = walk_pages(ctx, pdf_array_get(ctx, kids, i), out, n, cap, depth + 1, budget);
	return n;
}

static int page_list(fz_context *ctx, pdf_document *doc, int *out, int cap)
{
	pdf_obj *pages = pdf_dict_getp(ctx, pdf_trailer(ctx, doc), "Root/Pages");
	int budget = 2 * cap;

	return pdf_is_dict(ctx, pages) ? walk_pages(ctx, pages, out, 0, cap, 0, &budget) : 0;
}

static void scan_signed(dctx *d)
{
	fz_context *ctx = d->ctx;
	pdf_obj *trailer = pdf_trailer(ctx, d->ds);
	pdf_obj *root = pdf_dict_get(ctx, trailer, PDF_NAME(Root));
	pdf_obj *acro = pdf_dict_get(ctx, root, PDF_NAME(AcroForm));
	int i, npages, budget = ES_PDF_MAX_OBJECTS;

	for (i = 1; i < d->n; i++) {
		if (entry_exists(ctx, d->ds, i))
			d->flags[i] |= F_EXISTS_S;
		if (entry_exists(ctx, d->df, i))
			d->flags[i] |= F_EXISTS_F;
		if (d->flags[i] & F_EXISTS_S)
			count_refs(d, get_obj(ctx, d->ds, i), 0);
	}
	count_refs(d, trailer, 0);
	flag_ref(d, root, F_CATALOG);
	flag_ref(d, pdf_dict_get(ctx, trailer, PDF_NAME(Info)), F_META);
	flag_ref(d, pdf_dict_get(ctx, root, PDF_NAME(Metadata)), F_META);
	flag_ref(d, acro, F_ACRO);
	flag_ref(d, pdf_dict_get(ctx, acro, PDF_NAME(Fields)), F_FIELDS);
	mark_reach(d, pdf_dict_gets(ctx, root, "DSS"), F_DSS, 0, &budget);
	budget = ES_PDF_MAX_OBJECTS;
	mark_struct(d, pdf_dict_gets(ctx, root, "StructTreeRoot"), 0, &budget);
	/* Blanket allowances (DSS, structure, metadata, containers) must not
	 * cover an object the document also uses elsewhere: a shadow document
	 * could share a page content stream with its /DSS. */
	budget = ES_PDF_MAX_OBJECTS;
	for (i = 0; i < pdf_dict_len(ctx, root); i++) {
		const char *k = pdf_to_name(ctx, pdf_dict_get_key(ctx, root, i));

		if (strcmp(k, "DSS") && strcmp(k, "StructTreeRoot") && strcmp(k, "Metadata"))
			mark_reach(d, pdf_dict_get_val(ctx, root, i), F_USED, 0, &budget);
	}
	for (i = 0; i < pdf_dict_len(ctx, trailer); i++) {
		const char *k = pdf_to_name(ctx, pdf_dict_get_key(ctx, trailer, i));

		if (strcmp(k, "Root") && strcmp(k, "Info") && strcmp(k, "Prev") &&
		    strcmp(k, "XRefStm") && strcmp(k, "Encrypt"))
			mark_reach(d, pdf_dict_get_val(ctx, trailer, i), F_USED, 0, &budget);
	}
	npages = page_list(ctx, d->ds, d->pages_s, ES_PDF_MAX_PAGES);
	for (i = 0; i < npages; i++) {
		int num = d->pages_s[i];

		if (num <= 0 || num >= d->n)
			continue;
		d->flags[num] |= F_PAGE;
		flag_ref(d, pdf_dict_get(ctx, get_obj(ctx, d->ds, num), PDF_NAME(Annots)), F_ANNOTS);
	}
}

static int is_new(dctx *d, pdf_obj *ref)
{
	int num = pdf_is_indirect(d->ctx, ref) ? pdf_to_num(d->ctx, ref) : 0;

	return num > 0 && num < d->n && !(d->flags[num] & F_EXISTS_S) &&
	       (d->flags[num] & F_EXISTS_F);
}

/* Kind of signature a (new) field or widget carries: 0 none, 1 signature,
 * 2 document timestamp, 3 empty signature field. */
static int sig_kind(fz_context *ctx, pdf_obj *field)
{
	pdf_obj *ft = pdf_dict_get_inheritable(ctx, field, PDF_NAME(FT));
	pdf_obj *v = pdf_dict_get_inheritable(ctx, field, PDF_NAME(V));

	if (!pdf_name_eq(ctx, ft, PDF_NAME(Sig)))
		return 0;
	if (!pdf_is_dict(ctx, v))
		return 3;
	if (strcmp(pdf_dict_get_name(ctx, v, PDF_NAME(Type)), "DocTimeStamp") == 0)
		return 2;
	return 1;
}

static int vet_new_field(dctx *d, pdf_obj *ref)
{
	int k;

	if (!is_new(d, ref)) {
		note(d, "object %d: %s", pdf_to_num(d->ctx, ref),
		     "an existing object was added to /AcroForm /Fields");
		return 0;
	}
	k = sig_kind(d->ctx, ref);
	if (k == 2 || (k != 0 && d->mdp_p >= 2))
		return 1;
	note(d, "object %d: %s", pdf_to_num(d->ctx, ref), k == 0 ?
	     "a new non-signature form field was added" :
	     "a new signature field was added although DocMDP P=1 forbids it");
	return 0;
}

static int vet_new_annot(dctx *d, pdf_obj *ref)
{
	fz_context *ctx = d->ctx;
	int k;

	if (!is_new(d, ref)) {
		note(d, "object %d: %s", pdf_to_num(ctx, ref),
		     "an existing object was added to a page's /Annots");
		return 0;
	}
	k = pdf_name_eq(ctx, pdf_dict_get(ctx, ref, PDF_NAME(Subtype)), PDF_NAME(Widget)) ?
	    sig_kind(ctx, ref) : 0;
	/* Sneaky Signature Attack (S&P 2021): an unsigned signature widget that
	 * paints content.  Allowed only without a visible appearance. */
	if (k == 3 && d->mdp_p < 3 && pdf_dict_get(ctx, ref, PDF_NAME(AP)) != NULL &&
	    !fz_is_empty_rect(pdf_dict_get_rect(ctx, ref, PDF_NAME(Rect)))) {
		note(d, "object %d: %s", pdf_to_num(ctx, ref),
		     "a new unsigned signature widget with a visible appearance was added");
		return 0;
	}
	if (k == 2 || (k != 0 && d->mdp_p >= 2) || d->mdp_p == 3)
		return 1;
	note(d, "object %d: %s", pdf_to_num(ctx, ref), k == 0 ?
	     "a new annotation was added to a page (only allowed with DocMDP P=3)" :
	     "a new signature widget was added although DocMDP P=1 forbids it");
	return 0;
}

/* New array keeps the old one as a prefix; appended entries pass vet. */
static int rule_append(dctx *d, pdf_obj *as, pdf_obj *af, int num,
		       int (*vet)(dctx *, pdf_obj *), int allow_remove)
{
	fz_context *ctx = d->ctx;
	int i, ns = pdf_array_len(ctx, as), nf = pdf_array_len(ctx, af), ok = 1;

	if (as != NULL && !pdf_is_array(ctx, as)) {
		note(d, "object %d: %s", num, "an array was replaced by a non-array");
		return 0;
	}
	if (!pdf_is_array(ctx, af) || (nf < ns && !allow_remove)) {
		note(d, "object %d: %s", num, "entries were removed from /Fields or /Annots");
		return 0;
	}
	for (i = 0; i < ns && !allow_remove; i++)
		if (!objeq(ctx, pdf_array_get(ctx, as, i), pdf_array_get(ctx, af, i), 0)) {
			note(d, "object %d: %s", num, "existing /Fields or /Annots entries were changed");
			return 0;
		}
	for (i = allow_remove ? 0 : ns; i < nf; i++) {
		pdf_obj *e = pdf_array_get(ctx, af, i);
		int j, old = 0;

		for (j = 0; allow_remove && j < ns && !old; j++)
			old = objeq(ctx, pdf_array_get(ctx, as, j), e, 0);
		if (!old && !vet(d, e))
			ok = 0;
	}
	return ok;
}

static pdf_obj *resolve_in(fz_context *ctx, pdf_obj *o)
{
	return pdf_resolve_indirect(ctx, o);
}

static int rule_acroform(dctx *d, pdf_obj *os, pdf_obj *of, int num)
{
	fz_context *ctx = d->ctx;
	int pass, i, ok = 1;

	for (pass = 0; pass < 2; pass++) {
		pdf_obj *a = pass ? of : os;

		for (i = 0; i < pdf_dict_len(ctx, a); i++) {
			pdf_obj *k = pdf_dict_get_key(ctx, a, i);
			pdf_obj *vs = pdf_dict_get(ctx, os, k), *vf = pdf_dict_get(ctx, of, k);

			if (val_equiv(ctx, d->ds, d->df, vs, vf) || (pass == 1 && vs != NULL))
				continue;
			if (pdf_name_eq(ctx, k, PDF_NAME(SigFlags)) || pdf_name_eq(ctx, k, PDF_NAME(DR)) ||
			    pdf_name_eq(ctx, k, PDF_NAME(DA)))
				continue;
			if (pdf_name_eq(ctx, k, PDF_NAME(Fields))) {
				ok &= rule_append(d, resolve_in(ctx, vs), resolve_in(ctx, vf),
						  num, vet_new_field, 0);
				continue;
			}
			note(d, "object %d: /AcroForm /%s changed", num, pdf_to_name(ctx, k));
			ok = 0;
		}
	}
	return ok;
}

static int rule_catalog(dctx *d, pdf_obj *os, pdf_obj *of, int num)
{
	fz_context *ctx = d->ctx;
	int pass, i, ok = 1;

	for (pass = 0; pass < 2; pass++) {
		pdf_obj *a = pass ? of : os;

		for (i = 0; i < pdf_dict_len(ctx, a); i++) {
			pdf_obj *k = pdf_dict_get_key(ctx, a, i);
			pdf_obj *vs = pdf_dict_get(ctx, os, k), *vf = pdf_dict_get(ctx, of, k);

			if (val_equiv(ctx, d->ds, d->df, vs, vf))
				continue;
			if (pass == 1 && vs != NULL)
				continue;  /* reported in pass 0 */
			if (strcmp(pdf_to_name(ctx, k), "DSS") == 0 ||
			    strcmp(pdf_to_name(ctx, k), "Extensions") == 0 ||
			    pdf_name_eq(ctx, k, PDF_NAME(Metadata)) || pdf_name_eq(ctx, k, PDF_NAME(Version)))
				continue;
			if (pdf_name_eq(ctx, k, PDF_NAME(AcroForm))) {
				pdf_obj *rs = resolve_in(ctx, vs), *rf = resolve_in(ctx, vf);

				if (rs == NULL && pdf_is_dict(ctx, rf)) {
					pdf_obj *empty = pdf_new_dict(ctx, d->ds, 1);

					fz_try(ctx)
						ok &= rule_acroform(d, empty, rf, num);
					fz_always(ctx)
						pdf_drop_obj(ctx, empty);
					fz_catch(ctx)
						fz_rethrow(ctx);
				} else if (pdf_is_dict(ctx, rs) && pdf_is_dict(ctx, rf)) {
					ok &= rule_acroform(d, rs, rf, num);
				} else {
					note(d, "object %d: %s", num, "the catalog /AcroForm was removed or replaced");
					ok = 0;
				}
				continue;
			}
			note(d, "object %d: catalog /%s changed", num, pdf_to_name(ctx, k));
			ok = 0;
		}
	}
	return ok;
}

static int rule_page(dctx *d, pdf_obj *os, pdf_obj *of, int num)
{
	fz_context *ctx = d->ctx;
	int pass, i, ok = 1;

	for (pass = 0; pass < 2; pass++) {
		pdf_obj *a = pass ? of : os;

		for (i = 0; i < pdf_dict_len(ctx, a); i++) {
			pdf_obj *k = pdf_dict_get_key(ctx, a, i);
			pdf_obj *vs = pdf_dict_get(ctx, os, k), *vf = pdf_dict_get(ctx, of, k);

			if (val_equiv(ctx, d->ds, d->df, vs, vf) || (pass == 1 && vs != NULL))
				continue;
			if (pdf_name_eq(ctx, k, PDF_NAME(StructParents)) && vs == NULL && d->mdp_p >= 2)
				continue;  /* logical structure hook for a new widget */
			if (pdf_name_eq(ctx, k, PDF_NAME(Annots))) {
				ok &= rule_append(d, resolve_in(ctx, vs), resolve_in(ctx, vf), num,
						  vet_new_annot, d->mdp_p == 3);
				continue;
			}
			note(d, "object %d: page /%s changed", num, pdf_to_name(ctx, k));
			ok = 0;
		}
	}
	return ok;
}

/* An appearance entry of a field being filled: a new object, an unchanged
 * one, or an overridden stream used only by this field (pyHanko
 * FORM_FILLING); otherwise the update rewrites content shown elsewhere. */
static int vet_ap_entry(dctx *d, pdf_obj *e, int num)
{
	int t = pdf_is_indirect(d->ctx, e) ? pdf_to_num(d->ctx, e) : 0;

	if (t <= 0 || t >= d->n)
		return 1;  /* direct value: part of the field dict itself */
	if (is_new(d, e) || !(d->flags[t] & F_CHANGED))
		return 1;
	if (d->refs[t] == 1 && pdf_obj_num_is_stream(d->ctx, d->df, t)) {
		d->flags[t] |= F_AP_OK;
		return 1;
	}
	note(d, "object %d: %s", num,
	     "filling the field overrides an appearance stream that is used elsewhere");
	return 0;
}

static int rule_fill_field(dctx *d, pdf_obj *os, pdf_obj *of, int num)
{
	fz_context *ctx = d->ctx;
	int pass, i, ok = 1, k = sig_kind(ctx, of);
	pdf_obj *ap;

	if (k == 0 || (k == 1 && d->mdp_p < 2) || k == 3) {
		note(d, "object %d: %s", num, "a signature field was changed without being signed, "
		     "or signed although DocMDP P=1 forbids it");
		return 0;
	}
	for (pass = 0; pass < 2; pass++) {
		pdf_obj *a = pass ? of : os;

		for (i = 0; i < pdf_dict_len(ctx, a); i++) {
			pdf_obj *key = pdf_dict_get_key(ctx, a, i);
			pdf_obj *vs = pdf_dict_get(ctx, os, key), *vf = pdf_dict_get(ctx, of, key);

			if (val_equiv(ctx, d->ds, d->df, vs, vf) || (pass == 1 && vs != NULL))
				continue;
			if (pdf_name_eq(ctx, key, PDF_NAME(V)) && !pdf_is_dict(ctx, vs))
				continue;
			/* the widget's own flags and appearance: shown only for this field */
			if (pdf_name_eq(ctx, key, PDF_NAME(F)) || pdf_name_eq(ctx, key, PDF_NAME(AP)) ||
			    pdf_name_eq(ctx, key, PDF_NAME(MK)))
				continue;
			note(d, "object %d: signature field /%s changed", num, pdf_to_name(ctx, key));
			ok = 0;
		}
	}
	/* its appearance streams: new, unchanged, or overridden but used by
	 * this field only */
	ap = pdf_dict_get(ctx, of, PDF_NAME(AP));
	if (pdf_is_indirect(ctx, ap) && !is_new(d, ap) && (d->flags[pdf_to_num(ctx, ap)] & F_CHANGED)) {
		if (d->refs[pdf_to_num(ctx, ap)] == 1)
			d->flags[pdf_to_num(ctx, ap)] |= F_AP_OK;
		else
			ok &= vet_ap_entry(d, ap, num);
	}
	ap = pdf_resolve_indirect(ctx, ap);
	for (i = 0; i < pdf_dict_len(ctx, ap); i++)
		ok &= vet_ap_entry(d, pdf_dict_get_val(ctx, ap, i), num);
	return ok;
}

static int is_unfilled_sig_field(fz_context *ctx, pdf_obj *os)
{
	return pdf_is_dict(ctx, os) &&
	       pdf_name_eq(ctx, pdf_dict_get_inheritable(ctx, os, PDF_NAME(FT)), PDF_NAME(Sig)) &&
	       !pdf_is_dict(ctx, pdf_dict_get(ctx, os, PDF_NAME(V)));
}

static const char *obj_kind(fz_context *ctx, pdf_obj *o, int stream)
{
	const char *t = pdf_dict_get_name(ctx, o, PDF_NAME(Type));
	const char *st = pdf_dict_get_name(ctx, o, PDF_NAME(Subtype));

	if (st && *st)
		return st;
	if (t && *t)
		return t;
	return stream ? "stream" : pdf_is_array(ctx, o) ? "array" :
	       pdf_is_dict(ctx, o) ? "dictionary" : "object";
}

static void classify_changed(dctx *d, int num)
{
	fz_context *ctx = d->ctx;
	pdf_obj *os = get_obj(ctx, d->ds, num), *of = get_obj(ctx, d->df, num);
	unsigned f = d->flags[num];
	int stream = pdf_obj_num_is_stream(ctx, d->ds, num);
	const char *kind = obj_kind(ctx, os, stream);

	if ((f & F_AP_OK) || (!(f & F_USED) && ((f & (F_DSS | F_META)) ||
						 ((f & F_STRUCT) && d->mdp_p >= 2)))) {
		d->out->allowed++;
		return;
	}
	if (!(f & F_USED) && (strcmp(kind, "XRef") == 0 || strcmp(kind, "ObjStm") == 0)) {
		d->out->allowed++;  /* containers: their objects are compared one by one */
		return;
	}
	if (pdf_is_dict(ctx, os) && pdf_is_dict(ctx, of) && !stream &&
	    !pdf_obj_num_is_stream(ctx, d->df, num)) {
		int ok = -1;

		if (f & F_CATALOG)
			ok = rule_catalog(d, os, of, num);
		else if (f & F_ACRO)
			ok = rule_acroform(d, os, of, num);
		else if (f & F_PAGE)
			ok = rule_page(d, os, of, num);
		else if (d->mdp_p == 3 && pdf_dict_get(ctx, os, PDF_NAME(Rect)) &&
			 !pdf_name_eq(ctx, pdf_dict_get(ctx, os, PDF_NAME(Subtype)), PDF_NAME(Widget)))
			ok = 1;  /* DocMDP P=3: annotation modification */
		if (ok >= 0) {
			d->out->allowed += ok;
			return;
		}
	}
	if ((f & (F_FIELDS | F_ANNOTS)) && pdf_is_array(ctx, of)) {
		if (rule_append(d, os, of, num, (f & F_FIELDS) ? vet_new_field : vet_new_annot,
				!(f & F_FIELDS) && d->mdp_p == 3))
			d->out->allowed++;
		return;
	}
	note(d, "object %d (%s) of the signed revision was re-defined", num, kind);
}

static void check_pages(dctx *d)
{
	fz_context *ctx = d->ctx;
	int ns = page_list(ctx, d->ds, d->pages_s, ES_PDF_MAX_PAGES);
	int nf = page_list(ctx, d->df, d->pages_f, ES_PDF_MAX_PAGES), i;
	pdf_obj *rs = pdf_dict_get(ctx, pdf_trailer(ctx, d->ds), PDF_NAME(Root));
	pdf_obj *rf = pdf_dict_get(ctx, pdf_trailer(ctx, d->df), PDF_NAME(Root));

	if (!pdf_is_indirect(ctx, rs) || !pdf_is_indirect(ctx, rf) ||
	    pdf_to_num(ctx, rs) != pdf_to_num(ctx, rf)) {
		note(d, "object %d: %s", pdf_to_num(ctx, rf), "the trailer /Root was re-pointed");
		return;
	}
	if (ns < 0 || nf < 0) {
		note(d, "page tree (%d): %s", 0, "the page tree is malformed or too large");
		return;
	}
	if (ns != nf) {
		note(d, "the page count changed to %d: %s", nf, "pages were added or removed");
		return;
	}
	for (i = 0; i < ns; i++)
		if (d->pages_s[i] != d->pages_f[i]) {
			note(d, "page %d: %s", i + 1, "pages were replaced or reordered");
			return;
		}
}

#define STREAM_KW "stream"
#define STREAM_KW_LEN 6

/* Where object num's serialization ends when read from the whole file:
 * after its value and the keyword that follows ("endobj" or "stream"), or
 * for a stream after its data as MuPDF reads it (/Length from stm_ofs).
 * 0 when our lexer cannot tell (then MuPDF's view stands alone). */
static size_t object_end(dctx *d, int num, int depth)
{
	fz_context *ctx = d->ctx;
	pdf_xref_entry *e = pdf_get_xref_entry_no_null(ctx, d->ds, num);
	size_t body, vs, ve, p;
	pdf_obj *o, *len;
	lx_tok t;

	if (e->type != 'n' || e->ofs <= 0 ||
	    lx_obj_header(d->buf, d->len, (size_t)e->ofs, num, &body) < 0 ||
	    lx_value(d->buf, d->len, body, &vs, &ve, 0) < 0)
		return 0;
	p = ve;
	t = lx_next(d->buf, d->len, &p);
	if (t.kind != LX_KEYWORD || t.end - t.start != STREAM_KW_LEN ||
	    memcmp(d->buf + t.start, STREAM_KW, STREAM_KW_LEN) != 0)
		return t.end;
	o = get_obj(ctx, d->ds, num);
	e = pdf_get_xref_entry_no_null(ctx, d->ds, num);  /* stm_ofs is set on load */
	len = pdf_dict_get(ctx, o, PDF_NAME(Length));
	if (pdf_is_indirect(ctx, len)) {
		int ln = pdf_to_num(ctx, len);

		/* the length object must not be completed later either */
		if (depth == 0 && ln > 0 && ln < d->n && object_end(d, ln, depth + 1) > d->signed_end)
			return d->len + 1;
	}
	if (o == NULL || e->stm_ofs <= 0 || pdf_to_int64(ctx, len) <= 0)
		return t.end;
	return (size_t)e->stm_ofs + (size_t)pdf_to_int64(ctx, len);
}

/* An object the update did not re-define (same xref entry) can still be
 * changed by it when its bytes run past the end of the signed revision: a
 * stream whose /Length, or a value whose last token, reaches into the
 * appended update reads those later bytes.  Viewers then show content that
 * was never signed (a content stream at the very end of the signed revision
 * with a large /Length, completed by the update, did exactly that). */
static int runs_past_signed_end(dctx *d, int num)
{
	return object_end(d, num, 0) > d->signed_end;
}

static void diff_objects(dctx *d)
{
	fz_context *ctx = d->ctx;
	int i, pass;

	for (i = 1; i < d->n; i++) {
		unsigned f = d->flags[i];

		if ((f & F_EXISTS_S) && (f & F_EXISTS_F)) {
			if (obj_changed(d, i))
				d->flags[i] |= F_CHANGED;
			else if (same_entry(ctx, d->ds, d->df, i, 0) && runs_past_signed_end(d, i))
				note(d, "object %d (%s) of the signed revision runs past the signed bytes; "
				     "the update completes it", i, obj_kind(ctx, get_obj(ctx, d->ds, i),
				     pdf_obj_num_is_stream(ctx, d->ds, i)));
		} else if (f & F_EXISTS_S) {
			if (d->refs[i] > 0)
				note(d, "object %d (%s) used by the signed revision was freed", i,
				     obj_kind(ctx, get_obj(ctx, d->ds, i), 0));
		} else if ((f & F_EXISTS_F) && d->refs[i] > 0) {
			note(d, "object %d (%s) is new but was already referenced by the signed revision",
			     i, obj_kind(ctx, get_obj(ctx, d->df, i), 0));
		}
	}
	/* fields being filled first: they bless their own appearance overrides */
	for (pass = 0; pass < 2; pass++)
		for (i = 1; i < d->n; i++) {
			pdf_obj *os;
			int field;

			if (!(d->flags[i] & F_CHANGED))
				continue;
			os = get_obj(ctx, d->ds, i);
			field = is_unfilled_sig_field(ctx, os) &&
				pdf_is_dict(ctx, get_obj(ctx, d->df, i));
			if (pass == 0 && field) {
				d->out->allowed += rule_fill_field(d, os, get_obj(ctx, d->df, i), i);
				d->flags[i] &= ~F_CHANGED;
			} else if (pass == 1) {
				classify_changed(d, i);
			}
		}
}

void rev_diff(fz_context *ctx, pdf_document *ds, pdf_document *df, const unsigned char *buf,
	      size_t len, size_t signed_end, int mdp_p, diff_result *out)
{
	dctx d = {ctx, ds, df, mdp_p, 0, NULL, NULL, NULL, NULL, out, buf, len, signed_end};

	memset(out, 0, sizeof(*out));
	d.n = pdf_xref_len(ctx, ds) > pdf_xref_len(ctx, df) ? pdf_xref_len(ctx, ds)
							      : pdf_xref_len(ctx, df);
	if (d.n > ES_PDF_MAX_OBJECTS) {
		note(&d, "%d objects: %s", d.n, "too many objects to analyse");
		return;
	}
	fz_var(d.flags);
	fz_var(d.refs);
	fz_var(d.pages_s);
	fz_var(d.pages_f);
	fz_try(ctx) {
		d.flags = fz_calloc(ctx, (size_t)d.n + 1, sizeof(*d.flags));
		d.refs = fz_calloc(ctx, (size_t)d.n + 1, sizeof(*d.refs));
		d.pages_s = fz_calloc(ctx, ES_PDF_MAX_PAGES, sizeof(*d.pages_s));
		d.pages_f = fz_calloc(ctx, ES_PDF_MAX_PAGES, sizeof(*d.pages_f));
		scan_signed(&d);
		check_pages(&d);
		diff_objects(&d);
	}
	fz_always(ctx) {
		fz_free(ctx, d.flags);
		fz_free(ctx, d.refs);
		fz_free(ctx, d.pages_s);
		fz_free(ctx, d.pages_f);
	}
	fz_catch(ctx)
		fz_rethrow(ctx);
}
