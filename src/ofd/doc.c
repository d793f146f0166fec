/* OFD document model (GB/T 33190 7.4-7.7): OFD.xml → Document.xml → pages,
 * page boxes, and keyword search over TextObject/TextCode.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofd_int.h"

#define A4_W_MM 210.0
#define A4_H_MM 297.0
#define MAX_GLYPHS 4096

static int load_xml(xmlDocPtr *out, const ofd_pkg *p, const char *path, es_err *err)
{
	const ofd_entry *e = ofd_pkg_find(p, path);

	*out = NULL;
	if (e == NULL)
		return es_err_set(err, ES_EFORMAT, "OFD part %s is missing", path);
	return ofd_xml_parse(out, e->data, e->len, err);
}

static void read_box(const xmlNode *area, double box[4])
{
	char buf[256];
	double v[4];

	ofd_xml_text(ofd_xml_child(area, "PhysicalBox"), buf, sizeof(buf));
	if (ofd_parse_doubles(buf, v, 4) == 4 && v[2] > 0 && v[3] > 0)
		memcpy(box, v, sizeof(v));
}

static int read_ofd_xml(ofd_doc *d, const ofd_pkg *p, es_err *err)
{
	xmlDocPtr x = NULL;
	xmlNode *body;
	char buf[OFD_MAX_NAME_LEN];
	int rc;

	if ((rc = load_xml(&x, p, "OFD.xml", err)) < 0)
		return rc;
	body = ofd_xml_child(xmlDocGetRootElement(x), "DocBody");
	ofd_xml_text(ofd_xml_child(body, "DocRoot"), buf, sizeof(buf));
	if (ofd_path_resolve(d->docroot, sizeof(d->docroot), "OFD.xml", buf) < 0) {
		rc = es_err_set(err, ES_EFORMAT, "OFD.xml has no usable DocBody/DocRoot");
		goto out;
	}
	ofd_xml_text(ofd_xml_child(body, "Signatures"), buf, sizeof(buf));
	if (buf[0] && ofd_path_resolve(d->ofd_xml_docbody_sigs, sizeof(d->ofd_xml_docbody_sigs),
				       "OFD.xml", buf) < 0) {
		rc = es_err_set(err, ES_EFORMAT, "OFD.xml names an unsafe Signatures path");
		goto out;
	}
out:
	xmlFreeDoc(x);
	return rc;
}

static int add_page(ofd_doc *d, const xmlNode *pg, es_err *err)
{
	char loc[OFD_MAX_NAME_LEN];
	ofd_page *np, *page;

	if (d->npages >= OFD_MAX_PAGES)
		return es_err_set(err, ES_ERANGE, "too many pages (limit %d)", OFD_MAX_PAGES);
	np = realloc(d->pages, (d->npages + 1) * sizeof(*np));
	if (np == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	d->pages = np;
	page = &np[d->npages];
	memset(page, 0, sizeof(*page));
	ofd_xml_attr(pg, "ID", page->id, sizeof(page->id));
	ofd_xml_attr(pg, "BaseLoc", loc, sizeof(loc));
	if (ofd_path_resolve(page->path, sizeof(page->path), d->docroot, loc) < 0)
		return es_err_set(err, ES_EFORMAT, "page %zu has an unsafe BaseLoc", d->npages + 1);
	memcpy(page->box, d->box, sizeof(d->box));
	d->npages++;
	return 0;
}

static void read_common(ofd_doc *d, const xmlNode *cd)
{
	const xmlNode *n;
	char buf[OFD_MAX_NAME_LEN];

	read_box(ofd_xml_child(cd, "PageArea"), d->box);
	for (n = cd ? cd->children : NULL; n; n = n->next) {
		if ((ofd_xml_is(n, "PublicRes") || ofd_xml_is(n, "DocumentRes")) &&
		    d->npubres < ES_ARRAY_LEN(d->pubres)) {
			ofd_xml_text(n, buf, sizeof(buf));
			if (ofd_path_resolve(d->pubres[d->npubres], OFD_MAX_NAME_LEN, d->docroot, buf) == 0)
				d->npubres++;
		} else if (ofd_xml_is(n, "TemplatePage") && d->ntpl < ES_ARRAY_LEN(d->tpl_id)) {
			ofd_xml_attr(n, "ID", d->tpl_id[d->ntpl], sizeof(d->tpl_id[0]));
			ofd_xml_attr(n, "BaseLoc", buf, sizeof(buf));
			if (ofd_path_resolve(d->tpl_path[d->ntpl], OFD_MAX_NAME_LEN, d->docroot, buf) == 0)
				d->ntpl++;
		}
	}
}

/* Page-level PhysicalBox (Page/Area) overrides the document's. */
static void read_page_boxes(ofd_doc *d, const ofd_pkg *p)
{
	size_t i;

	for (i = 0; i < d->npages; i++) {
		xmlDocPtr x = NULL;

		if (load_xml(&x, p, d->pages[i].path, NULL) < 0)
			continue;
		read_box(ofd_xml_child(xmlDocGetRootElement(x), "Area"), d->pages[i].box);
		xmlFreeDoc(x);
	}
}

int ofd_doc_load(ofd_doc *d, const ofd_pkg *p, es_err *err)
{
	xmlDocPtr x = NULL;
	xmlNode *root, *pg;
	int rc;

	memset(d, 0, sizeof(*d));
	d->box[2] = A4_W_MM;
	d->box[3] = A4_H_MM;
	if ((rc = read_ofd_xml(d, p, err)) < 0)
		return rc;
	if ((rc = load_xml(&x, p, d->docroot, err)) < 0)
		return rc;
	root = xmlDocGetRootElement(x);
	read_common(d, ofd_xml_child(root, "CommonData"));
	for (pg = ofd_xml_child(ofd_xml_child(root, "Pages"), "Page"); pg; pg = ofd_xml_next(pg, "Page"))
		if ((rc = add_page(d, pg, err)) < 0)
			goto out;
	read_page_boxes(d, p);
out:
	xmlFreeDoc(x);
	if (rc < 0)
		ofd_doc_clear(d);
	return rc;
}

void ofd_doc_clear(ofd_doc *d)
{
	free(d->pages);
	memset(d, 0, sizeof(*d));
}

int ofd_doc_page_by_id(const ofd_doc *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->npages; i++)
		if (strcmp(d->pages[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* ---- keyword search ---- */

typedef struct glyph {
	uint32_t cp;
	double x, y; /* origin in page mm (baseline) */
} glyph;

typedef struct text_run {
	glyph g[MAX_GLYPHS];
	size_t n;
	double dx[MAX_GLYPHS], dy[MAX_GLYPHS]; /* scratch for one TextCode */
} text_run;

/* Next UTF-8 code point; advances *s.  Invalid bytes give U+FFFD. */
uint32_t ofd_utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t c = *p++;
	int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	if (c >= 0xf0)
		c &= 0x07;
	else if (c >= 0xe0)
		c &= 0x0f;
	else if (c >= 0xc0)
		c &= 0x1f;
	while (extra-- > 0) {
		if ((*p & 0xc0) != 0x80) {
			*s = p;
			return 0xfffd;
		}
		c = (c << 6) | (*p++ & 0x3f);
	}
	*s = p;
	return c;
}

/* Expand "g n v" repetitions of DeltaX/DeltaY (GB/T 33190 11.3). */
size_t ofd_parse_deltas(const char *s, double *out, size_t cap)
{
	size_t n = 0;

	while (s && *s && n < cap) {
		char *end;
		double v;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s == 0)
			break;
		if (*s == 'g') {
			long rep = strtol(s + 1, &end, 10);
			char *e2;

			v = strtod(end, &e2);
			if (e2 == end || rep <= 0)
				break;
			while (rep-- > 0 && n < cap)
				out[n++] = v;
			s = e2;
			continue;
		}
		v = strtod(s, &end);
		if (end == s)
			break;
		out[n++] = v;
		s = end;
	}
	return n;
}

typedef struct text_ctx {
	double bx, by, ctm[6], size;
	double cx, cy; /* current point in object space */
} text_ctx;

static void add_code(text_run *run, text_ctx *t, const xmlNode *tc)
{
	double *dx = run->dx, *dy = run->dy;
	char buf[64], dxs[8192], dys[8192];
	xmlChar *txt = xmlNodeGetContent(tc);
	const unsigned char *s = txt;
	size_t ndx, ndy, i = 0;
	double v;

	if (ofd_xml_attr(tc, "X", buf, sizeof(buf)) == 0 && ofd_parse_doubles(buf, &v, 1) == 1)
		t->cx = v;
	if (ofd_xml_attr(tc, "Y", buf, sizeof(buf)) == 0 && ofd_parse_doubles(buf, &v, 1) == 1)
		t->cy = v;
	ofd_xml_attr(tc, "DeltaX", dxs, sizeof(dxs));
	ofd_xml_attr(tc, "DeltaY", dys, sizeof(dys));
	ndx = ofd_parse_deltas(dxs, dx, MAX_GLYPHS);
	ndy = ofd_parse_deltas(dys, dy, MAX_GLYPHS);
	while (s && *s && run->n < MAX_GLYPHS) {
		glyph *g = &run->g[run->n++];
		const double *m = t->ctm;

		g->cp = ofd_utf8_next(&s);
		g->x = t->bx + m[0] * t->cx + m[2] * t->cy + m[4];
		g->y = t->by + m[1] * t->cx + m[3] * t->cy + m[5];
		t->cx += i < ndx ? dx[i] : t->size;
		t->cy += i < ndy ? dy[i] : 0;
		i++;
	}
	xmlFree(txt);
}

static void collect_text(text_run *run, const xmlNode *obj)
{
	char buf[256];
	double b[4] = {0}, m[6] = {1, 0, 0, 1, 0, 0};
	text_ctx t;
	const xmlNode *c;

	memset(&t, 0, sizeof(t));
	ofd_xml_attr(obj, "Boundary", buf, sizeof(buf));
	ofd_parse_doubles(buf, b, 4);
	if (ofd_xml_attr(obj, "CTM", buf, sizeof(buf)) == 0 && ofd_parse_doubles(buf, m, 6) != 6)
		memcpy(m, (double[6]){1, 0, 0, 1, 0, 0}, sizeof(m));
	ofd_xml_attr(obj, "Size", buf, sizeof(buf));
	if (ofd_parse_doubles(buf, &t.size, 1) != 1)
		t.size = 3.5;
	t.bx = b[0];
	t.by = b[1];
	memcpy(t.ctm, m, sizeof(m));
	for (c = obj->children; c; c = c->next)
		if (ofd_xml_is(c, "TextCode"))
			add_code(run, &t, c);
}

/* Size of the text object, in page mm (scaled by the CTM's y scale). */
static double text_height(const xmlNode *obj)
{
	char buf[256];
	double size = 3.5, m[6] = {1, 0, 0, 1, 0, 0};

	ofd_xml_attr(obj, "Size", buf, sizeof(buf));
	ofd_parse_doubles(buf, &size, 1);
	if (ofd_xml_attr(obj, "CTM", buf, sizeof(buf)) == 0 && ofd_parse_doubles(buf, m, 6) == 6 && m[3] != 0)
		size *= m[3] < 0 ? -m[3] : m[3];
	return size;
}

typedef struct kw {
	uint32_t cp[256];
	size_t n;
	ofd_hit *hits;
	size_t cap, found;
	int page;
} kw;

static void match_run(kw *k, const text_run *run, double h)
{
	size_t i, j;

	for (i = 0; i + k->n <= run->n; i++) {
		for (j = 0; j < k->n && run->g[i + j].cp == k->cp[j]; j++)
			;
		if (j != k->n)
			continue;
		if (k->found < k->cap) {
			const glyph *a = &run->g[i], *z = &run->g[i + k->n - 1];
			ofd_hit *hit = &k->hits[k->found];

			hit->page = k->page;
			hit->x_mm = (a->x + z->x + h) / 2; /* last glyph ends one em later */
			hit->y_mm = (a->y + z->y) / 2 - h * 0.35; /* baseline → visual centre */
			hit->h_mm = h;
		}
		k->found++;
	}
}

static void walk(kw *k, const xmlNode *n, int depth, text_run *run)
{
	for (; n && depth < OFD_MAX_XML_DEPTH; n = n->next) {
		if (ofd_xml_is(n, "TextObject")) {
			run->n = 0;
			collect_text(run, n);
			match_run(k, run, text_height(n));
		} else if (n->type == XML_ELEMENT_NODE) {
			walk(k, n->children, depth + 1, run);
		}
	}
}

int ofd_find_keyword(ofd_hit *hits, size_t cap, size_t *n, const ofd_pkg *p,
		     const ofd_doc *d, const char *keyword, es_err *err)
{
	const unsigned char *s = (const unsigned char *)keyword;
	text_run *run = malloc(sizeof(*run));
	kw k;
	size_t i;

	*n = 0;
	if (run == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	memset(&k, 0, sizeof(k));
	while (*s && k.n < ES_ARRAY_LEN(k.cp))
		k.cp[k.n++] = ofd_utf8_next(&s);
	k.hits = hits;
	k.cap = cap;
	for (i = 0; k.n && i < d->npages; i++) {
		xmlDocPtr x = NULL;

		if (load_xml(&x, p, d->pages[i].path, NULL) < 0)
			continue;
		k.page = (int)i;
		walk(&k, xmlDocGetRootElement(x), 0, run);
		xmlFreeDoc(x);
	}
	free(run);
	*n = k.found < cap ? k.found : cap;
	if (k.found == 0)
		return es_err_set(err, ES_ENOTFOUND, "keyword \"%s\" not found in the document text", keyword);
	return 0;
}
