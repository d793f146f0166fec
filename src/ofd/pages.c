/* Page facts for callers (CLI placement, previews).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include "eseal/ofd.h"
#include "ofd_int.h"

static int with_doc(ofd_pkg **p, ofd_doc *d, const char *path, es_err *err)
{
	int rc;

	*p = NULL;
	memset(d, 0, sizeof(*d));
	if ((rc = ofd_pkg_open(p, path, err)) < 0)
		return rc;
	if ((rc = ofd_doc_load(d, *p, err)) < 0) {
		ofd_pkg_free(*p);
		*p = NULL;
	}
	return rc;
}

int es_ofd_page_count(int *out, const char *path, es_err *err)
{
	ofd_pkg *p;
	ofd_doc d;
	int rc = with_doc(&p, &d, path, err);

	if (rc == 0)
		*out = (int)d.npages;
	ofd_doc_clear(&d);
	ofd_pkg_free(p);
	return rc;
}

int es_ofd_page_size_mm(double *w, double *h, const char *path, int page, es_err *err)
{
	ofd_pkg *p;
	ofd_doc d;
	int rc = with_doc(&p, &d, path, err);

	if (rc == 0) {
		if (page == -1)
			page = (int)d.npages;
		if (page < 1 || (size_t)page > d.npages) {
			rc = es_err_set(err, ES_EINVAL, "page %d does not exist; the document has %zu pages", page,
					d.npages);
		} else {
			*w = d.pages[page - 1].box[2];
			*h = d.pages[page - 1].box[3];
		}
	}
	ofd_doc_clear(&d);
	ofd_pkg_free(p);
	return rc;
}
