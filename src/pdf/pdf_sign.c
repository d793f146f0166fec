/* es_pdf_sign(): the signature revision, then /DSS (B-LT) and a document
 * timestamp (B-LTA), each as its own incremental update (ISO 32000-2
 * §12.8, ETSI EN 319 142-1 §5).  The output is built in a temp file next to
 * out_path, fsync'd and renamed.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "pdf_int.h"

#define COPY_CHUNK (256 * 1024)
#define WRITEBACK_CHUNK (4 * 1024 * 1024)
#define ASYNC_COPY_MIN (1024 * 1024)   /* from here: kernel copy + hashing thread */
#define BYTERANGE_WIDTH 64
#define MAX_CONTENTS_ATTEMPTS 3
#define SIGFLAGS_SIGNATURES_EXIST 1
#define SIGFLAGS_APPEND_ONLY 2
#define ANNOT_FLAG_PRINT 4
#define ANNOT_FLAG_HIDDEN_LOCKED 132 /* Print | Locked: invisible doc-timestamp widget */
#define OUTPUT_MODE 0644
#define SHA256_LEN 32

typedef struct sigjob {
	int docts;                 /* 1: /DocTimeStamp (B-LTA) */
	const es_pdf_sign_opts *o;
	const pdfwidget *w;
	size_t nw;
	size_t reserved;           /* /Contents bytes */
	char field[64];
	int64_t br[4];             /* filled ByteRange */
	size_t br_off;             /* in update buffer: '[' of /ByteRange */
	unsigned char *contents;   /* final /Contents bytes, reserved long (zero padded) */
	size_t der_len;
} sigjob;

/* The output while it is built: bytes [0, len) are at fd and were fed to
 * sha (SHA-256), so nothing needs reading back: the ByteRange digest and the
 * output's digest both continue sha.  The copied input is hashed on a second
 * thread (from the output's own pages: what is hashed is what was written)
 * while MuPDF reads the document; of_join() waits for it before sha is used. */
typedef struct outfile {
	const char *tmp;
	int fd;
	int64_t len;
	EVP_MD_CTX *sha;
	int hashing;               /* 1: the thread runs */
	int hash_ok;               /* the thread's result */
	pthread_t thread;
	char in_hex[2 * SHA256_LEN + 1];  /* SHA-256 of the input (= the copy) */
} outfile;

/* ---------- file helpers ---------- */

static int pwrite_all(int fd, const void *p, size_t n, int64_t off, es_err *err)
{
	const unsigned char *c = p;

	while (n > 0) {
		ssize_t w = pwrite(fd, c, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return es_err_set(err, ES_EIO, "cannot write the output: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Lower-case hex SHA-256 of the bytes sha has taken so far (sha goes on). */
static int sha_hex(char hex[2 * SHA256_LEN + 1], const EVP_MD_CTX *sha)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[SHA256_LEN];
	int ok = c && EVP_MD_CTX_copy_ex(c, sha) == 1 && EVP_DigestFinal_ex(c, md, NULL) == 1;

	EVP_MD_CTX_free(c);
	if (ok)
		es_hex_encode(hex, md, sizeof(md));
	return ok ? 0 : -1;
}

/* Start writing [*flushed, off) of the copy to disk now, while the rest is
 * copied, hashed and signed: the fsync before the rename then waits for
 * little more than the update (21 MB: 20 of 76 ms otherwise). */
static void writeback(int fd, int64_t *flushed, int64_t off, int last)
{
#ifdef SYNC_FILE_RANGE_WRITE
	if (off - *flushed >= WRITEBACK_CHUNK || (last && *flushed > 0 && off > *flushed)) {
		(void)sync_file_range(fd, *flushed, off - *flushed, SYNC_FILE_RANGE_WRITE);
		*flushed = off;
	}
#else
	(void)fd;
	(void)flushed;
	(void)off;
	(void)last;
#endif
}

/* The thread: hash the copy [0, len) from a mapping of the output. */
static void *hash_copy(void *arg)
{
	outfile *of = arg;
	const unsigned char *m = NULL;
	int64_t off;

	of->hash_ok = 0;
	if (of->len > 0) {
		m = mmap(NULL, (size_t)of->len, PROT_READ, MAP_SHARED | MAP_POPULATE, of->fd, 0);
		if (m == MAP_FAILED)
			return NULL;
	}
	for (off = 0; off < of->len; off += COPY_CHUNK) {
		size_t n = (size_t)(of->len - off < COPY_CHUNK ? of->len - off : COPY_CHUNK);

		if (EVP_DigestUpdate(of->sha, m + off, n) != 1)
			goto out;
	}
	of->hash_ok = sha_hex(of->in_hex, of->sha) == 0;
out:
	if (m != NULL)
		munmap((void *)m, (size_t)of->len);
	return NULL;
}

/* Wait for the hashing thread; its failure is the caller's error. */
static int of_join(outfile *of, es_err *err)
{
	if (of->hashing) {
		pthread_join(of->thread, NULL);
		of->hashing = 0;
		if (!of->hash_ok)
			return es_err_set(err, ES_ECRYPTO, "cannot hash the copied document");
	}
	return 0;
}

/* Copy by reading: the input hashed on the way (no kernel copy available). */
static int copy_by_reading(outfile *of, int in, int64_t len, es_err *err)
{
	unsigned char *buf = malloc(COPY_CHUNK);
	int64_t off = 0, flushed = 0;
	int rc = 0;

	if (!buf)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	while (off < len && rc == 0) {
		ssize_t r = pread(in, buf, COPY_CHUNK, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = es_err_set(err, ES_EIO, "cannot read the input (changed while signing?)");
			break;
		}
		if (r > len - off)
			r = (ssize_t)(len - off);
		rc = pwrite_all(of->fd, buf, (size_t)r, off, err);
		if (rc == 0 && EVP_DigestUpdate(of->sha, buf, (size_t)r) != 1)
			rc = es_err_ssl(err, ES_ECRYPTO, "SHA-256 failed");
		off += r;
		writeback(of->fd, &flushed, off, off == len);
	}
	of->len = off;
	if (rc == 0 && sha_hex(of->in_hex, of->sha) < 0)
		rc = es_err_ssl(err, ES_ECRYPTO, "SHA-256 failed");
	free(buf);
	return rc;
}

/* The input, read once.  A large one is copied to the output by the kernel
 * (copy_file_range(2): no trip through this process's memory), then hashed
 * from the output on a second thread; a small one (where a thread and a
 * mapping cost more than they save, and a server signs many at once), or
 * one the kernel cannot copy between the two files, is read and hashed on
 * the way. */
static int copy_file(outfile *of, const char *in_path, es_err *err)
{
	int in = open(in_path, O_RDONLY | O_CLOEXEC), rc = 0;
	int64_t off = 0, len = 0, flushed = 0;
	struct stat st;

	if (in < 0)
		return es_err_set(err, ES_EIO, "cannot open %s: %s", in_path, strerror(errno));
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = es_err_set(err, ES_EIO, "%s is not a readable regular file", in_path);
		goto out;
	}
	len = st.st_size;
	if (len < ASYNC_COPY_MIN) {
		rc = copy_by_reading(of, in, len, err);
		goto out;
	}
	while (off < len) {
		loff_t io = off, oo = off;
		size_t want = (size_t)(len - off < WRITEBACK_CHUNK ? len - off : WRITEBACK_CHUNK);
		ssize_t n = copy_file_range(in, &io, of->fd, &oo, want, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && off == 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
					  errno == EOPNOTSUPP || errno == EBADF)) {
			rc = copy_by_reading(of, in, len, err);
			goto out;
		}
		if (n <= 0) {
			rc = es_err_set(err, ES_EIO, "cannot copy %s (changed while signing?)%s%s", in_path,
					n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			goto out;
		}
		off += n;
		writeback(of->fd, &flushed, off, off == len);
	}
	of->len = off;
	if (pthread_create(&of->thread, NULL, hash_copy, of) == 0) {
		of->hashing = 1;
	} else {
		hash_copy(of);
		if (!of->hash_ok)
			rc = es_err_set(err, ES_ECRYPTO, "cannot hash the copied document");
	}
out:
	close(in);
	return rc;
}

static int pread_all(int fd, void *p, size_t n, int64_t off, es_err *err)
{
	unsigned char *c = p;

	while (n > 0) {
		ssize_t r = pread(fd, c, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return es_err_set(err, ES_EIO, "cannot read back the output: %s",
					  r < 0 ? strerror(errno) : "file shorter than written");
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* Append an update: write it, read that region back (what is on disk is
 * what we signed; the bytes in front were hashed as they were written),
 * then let the file's digest take it in.  head (may be NULL) is the file's
 * digest state already carried through b's first head_len bytes. */
static int out_append(outfile *of, const es_buf *b, const EVP_MD_CTX *head, size_t head_len,
		      es_err *err)
{
	unsigned char *back = malloc(b->len ? b->len : 1);
	int rc;

	if (!back)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	if (!head)
		head_len = 0;
	if ((rc = of_join(of, err)) == 0 &&
	    (rc = pwrite_all(of->fd, b->data, b->len, of->len, err)) == 0 &&
	    (rc = pread_all(of->fd, back, b->len, of->len, err)) == 0 &&
	    memcmp(back, b->data, b->len) != 0)
		rc = es_err_set(err, ES_EIO, "the output changed while it was being signed; nothing written");
	if (rc == 0 && ((head && EVP_MD_CTX_copy_ex(of->sha, head) != 1) ||
			EVP_DigestUpdate(of->sha, b->data + head_len, b->len - head_len) != 1))
		rc = es_err_ssl(err, ES_ECRYPTO, "SHA-256 failed");
	if (rc == 0)
		of->len += (int64_t)b->len;
	free(back);
	return rc;
}

/* Lower-case hex SHA-256 of the bytes so far (sha itself goes on). */
static int out_sha256_hex(char hex[2 * SHA256_LEN + 1], outfile *of, es_err *err)
{
	int rc = of_join(of, err);

	if (rc == 0 && sha_hex(hex, of->sha) < 0)
		rc = es_err_ssl(err, ES_ECRYPTO, "SHA-256 failed");
	return rc;
}

/* SHA-256 of the ByteRange: the file so far, then the update in memory
 * without its /Contents string (ISO 32000-2 §12.8.1).  head gets the
 * state after the first range, where the output's own digest goes on. */
static int range_digest(EVP_MD_CTX *head, outfile *of, const pdfupd *u,
			const int64_t br[4], unsigned char dg[SHA256_LEN], es_err *err)
{
	EVP_MD_CTX *c;
	size_t head_len = (size_t)(br[1] - u->base), tail = (size_t)(br[2] - u->base);
	int ok;

	if ((ok = of_join(of, err)) < 0)
		return ok;
	c = EVP_MD_CTX_new();

	/* the first range is the file so far plus the update up to '<' */
	if (br[0] != 0 || u->base != of->len || br[1] < u->base || br[2] < br[1] ||
	    tail + (size_t)br[3] != u->b.len) {
		EVP_MD_CTX_free(c);
		return es_err_set(err, ES_EPDF, "internal error: ByteRange does not fit the update");
	}
	ok = c && EVP_MD_CTX_copy_ex(head, of->sha) == 1 &&
	     EVP_DigestUpdate(head, u->b.data, head_len) == 1 && EVP_MD_CTX_copy_ex(c, head) == 1 &&
	     EVP_DigestUpdate(c, u->b.data + tail, (size_t)br[3]) == 1 &&
	     EVP_DigestFinal_ex(c, dg, NULL) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : es_err_ssl(err, ES_ECRYPTO, "SHA-256 failed");
}

/* ---------- document facts (MuPDF, may throw) ---------- */

static pdf_obj *catalog(fz_context *ctx, pdf_document *doc)
{
	return pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Root));
}

static void count_sigs(fz_context *ctx, pdf_obj *fields, int depth, int *nsig)
{
	for (int i = 0; i < pdf_array_len(ctx, fields) && depth < 32; i++) {
		pdf_obj *f = pdf_array_get(ctx, fields, i);
		pdf_obj *kids = pdf_dict_get(ctx, f, PDF_NAME(Kids));
		if (pdf_name_eq(ctx, pdf_dict_get_inheritable(ctx, f, PDF_NAME(FT)), PDF_NAME(Sig)) &&
		    pdf_is_dict(ctx, pdf_dict_get(ctx, f, PDF_NAME(V))))
			(*nsig)++;
		if (pdf_is_array(ctx, kids))
			count_sigs(ctx, kids, depth + 1, nsig);
	}
}

static int name_used(fz_context *ctx, pdf_obj *fields, const char *name)
{
	for (int i = 0; i < pdf_array_len(ctx, fields); i++)
		if (strcmp(pdf_dict_get_text_string(ctx, pdf_array_get(ctx, fields, i), PDF_NAME(T)), name) == 0)
			return 1;
	return 0;
}

/* DocMDP /P of an existing certification signature, 0 when none. */
static int docmdp_p(fz_context *ctx, pdf_document *doc)
{
	pdf_obj *sig = pdf_dict_getp(ctx, catalog(ctx, doc), "Perms/DocMDP");
	pdf_obj *refs = pdf_dict_get(ctx, sig, PDF_NAME(Reference));

	for (int i = 0; i < pdf_array_len(ctx, refs); i++) {
		pdf_obj *r = pdf_array_get(ctx, refs, i);
		if (pdf_name_eq(ctx, pdf_dict_get(ctx, r, PDF_NAME(TransformMethod)), PDF_NAME(DocMDP))) {
			int p = pdf_dict_get_int(ctx, pdf_dict_get(ctx, r, PDF_NAME(TransformParams)), PDF_NAME(P));
			return p ? p : 2;
		}
	}
	return 0;
}

#define MAX_FIELD_SUFFIX 100000

static int check_doc(pdfdoc *d, const es_pdf_sign_opts *o, int docts, char *field, es_err *err)
{
	fz_context *ctx = d->ctx;
	int nsig = 0, p, k;
	pdf_obj *fields = pdf_dict_getp(ctx, catalog(ctx, d->doc), "AcroForm/Fields");

	count_sigs(ctx, fields, 0, &nsig);
	p = docmdp_p(ctx, d->doc);
	if (p == 1 && !docts)
		return es_err_set(err, ES_EPERM, "the document is certified with \"no changes allowed\"; "
				  "it cannot be signed again");
	if (o->certify && !docts && nsig > 0)
		return es_err_set(err, ES_ESTATE, "certification must be the first signature; the "
				  "document already has %d; sign without certify", nsig);
	for (k = 1; k < MAX_FIELD_SUFFIX; k++) {
		snprintf(field, 64, "%s%d", docts ? "DocTimeStamp" : "eseal_sig", k);
		if (!name_used(ctx, fields, field))
			return 0;
	}
	return es_err_set(err, ES_ERANGE, "too many signature fields");
}

/* ---------- the signature revision ---------- */

static int put_rect(es_buf *b, fz_rect r, es_err *err)
{
	int rc = es_buf_puts(b, "[", err);
	double v[4] = {r.x0, r.y0, r.x1, r.y1};

	for (int i = 0; i < 4 && rc == 0; i++) {
		if ((rc = buf_num(b, v[i], err)) == 0)
			rc = es_buf_puts(b, i < 3 ? " " : "]", err);
	}
	return rc;
}

static int put_matrix(es_buf *b, fz_matrix m, es_err *err)
{
	double v[6] = {m.a, m.b, m.c, m.d, m.e, m.f};
	int rc = es_buf_puts(b, "[", err);

	for (int i = 0; i < 6 && rc == 0; i++) {
		if ((rc = buf_num(b, v[i], err)) == 0)
			rc = es_buf_puts(b, i < 5 ? " " : "]", err);
	}
	return rc;
}

static int put_opt_text(es_buf *b, const char *key, const char *v, es_err *err)
{
	int rc;

	if (!v || !*v)
		return 0;
	if ((rc = es_buf_printf(b, err, " /%s ", key)) < 0)
		return rc;
	return buf_text(b, v, err);
}

static int write_sigdict(pdfupd *u, sigjob *j, int num, es_err *err)
{
	const es_pdf_sign_opts *o = j->o;
	es_buf *b = &u->b;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "D:%Y%m%d%H%M%SZ", &tm);
	if ((rc = upd_obj(u, num, 0, err)) < 0)
		return rc;
	if (j->docts)
		rc = es_buf_puts(b, "<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161", err);
	else
		rc = es_buf_printf(b, err, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter "
				   "/ETSI.CAdES.detached /M (%s)", when);
	if (rc == 0 && !j->docts) {
		if ((rc = put_opt_text(b, "Name", o->name, err)) < 0 ||
		    (rc = put_opt_text(b, "Reason", o->reason, err)) < 0 ||
		    (rc = put_opt_text(b, "Location", o->location, err)) < 0 ||
		    (rc = put_opt_text(b, "ContactInfo", o->contact, err)) < 0)
			return rc;
		if (o->certify)
			rc = es_buf_printf(b, err, " /Reference [<< /Type /SigRef /TransformMethod /DocMDP "
					   "/TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>]",
					   o->certify);
	}
	if (rc == 0)
		rc = es_buf_puts(b, "\n/ByteRange ", err);
	j->br_off = b->len;
	if (rc == 0)
		rc = es_buf_printf(b, err, "%-*s\n/Contents <", BYTERANGE_WIDTH, "[0 0 0 0]");
	j->br[1] = u->base + (int64_t)b->len - 1;
	/* "00" per reserved byte, filled in once the CMS exists */
	if (rc == 0 && (rc = es_buf_reserve(b, 2 * j->reserved, err)) == 0) {
		memset(b->data + b->len, '0', 2 * j->reserved);
		b->len += 2 * j->reserved;
	}
	if (rc == 0)
		rc = es_buf_puts(b, ">", err);
	j->br[2] = u->base + (int64_t)b->len;
	if (rc == 0)
		rc = es_buf_puts(b, " >>", err);
	return rc ? rc : upd_endobj(u, err);
}

/* Form XObject: the seal (or strip i of it) in a w x h box; /Matrix maps the
 * box onto the page upright as displayed (undoing /Rotate and /UserUnit). */
static int write_appearance(pdfupd *u, const sigjob *j, const pdfwidget *w, int num,
			    fz_matrix m, es_err *err)
{
	es_buf body = {0}, dict = {0};
	double bw = w->box.x1 - w->box.x0, bh = w->box.y1 - w->box.y0;
	int rc = 0;

	if (w->strip) {
		if ((rc = es_buf_puts(&body, "q 0 0 ", err)) < 0 || (rc = buf_num(&body, bw, err)) < 0 ||
		    (rc = es_buf_puts(&body, " ", err)) < 0 || (rc = buf_num(&body, bh, err)) < 0 ||
		    (rc = es_buf_puts(&body, " re W n 1 0 0 1 ", err)) < 0 ||
		    (rc = buf_num(&body, -w->strip_x0_pt, err)) < 0 ||
		    (rc = es_buf_puts(&body, " 0 cm\n", err)) < 0)
			goto out;
	} else if ((rc = es_buf_puts(&body, "q\n", err)) < 0) {
		goto out;
	}
	if ((rc = es_buf_append(&body, j->o->appearance, j->o->appearance_len, err)) < 0 ||
	    (rc = es_buf_puts(&body, "\nQ\n", err)) < 0)
		goto out;
	if ((rc = es_buf_puts(&dict, "/Type /XObject /Subtype /Form /BBox [0 0 ", err)) < 0 ||
	    (rc = buf_num(&dict, bw, err)) < 0 || (rc = es_buf_puts(&dict, " ", err)) < 0 ||
	    (rc = buf_num(&dict, bh, err)) < 0 || (rc = es_buf_puts(&dict, "] /Matrix ", err)) < 0 ||
	    (rc = put_matrix(&dict, m, err)) < 0 ||
	    (rc = es_buf_append(&dict, " /Resources << >>\0", 18, err)) < 0)
		goto out;
	rc = upd_stream(u, num, (const char *)dict.data, body.data, body.len, 1, err);
out:
	es_buf_free(&body, 0);
	es_buf_free(&dict, 0);
	return rc;
}

static int write_widget(pdfupd *u, pdfdoc *d, const sigjob *j, const pdfwidget *w, int num,
			int ap, int sig, int parent, es_err *err)
{
	fz_context *ctx = d->ctx;
	pdf_obj *page = pdf_lookup_page_obj(ctx, d->doc, w->page);
	double bw = w->box.x1 - w->box.x0, bh = w->box.y1 - w->box.y0;
	fz_matrix m = fz_concat(fz_make_matrix(1, 0, 0, -1, w->box.x0, w->box.y1), w->disp_to_user);
	fz_rect r = w->hidden ? fz_make_rect(0, 0, 0, 0) : fz_transform_rect(fz_make_rect(0, 0, bw, bh), m);
	es_buf *b = &u->b;
	int rc;

	if (!pdf_is_indirect(ctx, page))
		return es_err_set(err, ES_EPDF, "page %d is not an indirect object", w->page + 1);
	if (!w->hidden && (rc = write_appearance(u, j, w, ap, m, err)) < 0)
		return rc;
	if ((rc = upd_obj(u, num, 0, err)) < 0 ||
	    (rc = es_buf_printf(b, err, "<< /Type /Annot /Subtype /Widget /F %d /P %d %d R /Rect ",
				w->hidden ? ANNOT_FLAG_HIDDEN_LOCKED : ANNOT_FLAG_PRINT,
				pdf_to_num(ctx, page), pdf_to_gen(ctx, page))) < 0 ||
	    (rc = put_rect(b, r, err)) < 0)
		return rc;
	if (!w->hidden && (rc = es_buf_printf(b, err, " /AP << /N %d 0 R >>", ap)) < 0)
		return rc;
	/* /V repeated on each kid (the same object): poppler < 23 reads a kid
	 * with /Parent as a field of its own and finds no value otherwise. */
	if (parent)
		rc = es_buf_printf(b, err, " /Parent %d 0 R /V %d 0 R >>", parent, sig);
	else
		rc = es_buf_printf(b, err, " /FT /Sig /T (%s) /V %d 0 R >>", j->field, sig);
	return rc ? rc : upd_endobj(u, err);
}

static rawval rv(const es_buf *b)
{
	rawval v = {b->data, b->len};
	return v;
}

/* New widgets appended to /Annots: the indirect /Annots array is updated
 * when there is one (the page stays as signed), else the page dict is
 * copied byte for byte with a new /Annots. */
static int write_page(pdfupd *u, pdfdoc *d, const sigjob *j, const int *wnum, size_t first,
		      es_buf *page, es_buf *annots, es_err *err)
{
	static const char *const skip[] = {"Annots", NULL};
	fz_context *ctx = d->ctx;
	pdf_obj *ref = pdf_lookup_page_obj(ctx, d->doc, j->w[first].page);
	pdf_obj *aref = pdf_dict_get(ctx, ref, PDF_NAME(Annots));
	rawval pv, av;
	int rc;

	if ((rc = raw_object(page, d, pdf_to_num(ctx, ref), err)) < 0)
		return rc;
	pv = rv(page);
	if ((rc = raw_lookup(&av, d, &pv, "Annots", annots, err)) < 0)
		return rc;
	if (pdf_is_indirect(ctx, aref) && pdf_is_array(ctx, aref))
		rc = upd_obj(u, pdf_to_num(ctx, aref), pdf_to_gen(ctx, aref), err);
	else if ((rc = upd_obj(u, pdf_to_num(ctx, ref), pdf_to_gen(ctx, ref), err)) == 0 &&
		 (rc = es_buf_puts(&u->b, "<<\n", err)) == 0 &&
		 (rc = raw_copy_entries(&u->b, &pv, skip, err)) == 0)
		rc = es_buf_puts(&u->b, "/Annots ", err);
	if (rc == 0 && (rc = es_buf_puts(&u->b, "[", err)) == 0)
		rc = raw_copy_items(&u->b, &av, err);
	for (size_t k = first; k < j->nw && rc == 0; k++)
		if (j->w[k].page == j->w[first].page)
			rc = es_buf_printf(&u->b, err, "%d 0 R ", wnum[k]);
	if (rc == 0)
		rc = es_buf_puts(&u->b, pdf_is_indirect(ctx, aref) && pdf_is_array(ctx, aref) ? "]" : "]\n>>", err);
	return rc ? rc : upd_endobj(u, err);
}

static int write_pages(pdfupd *u, pdfdoc *d, const sigjob *j, const int *wnum, es_err *err)
{
	es_buf page = {0}, annots = {0};
	int rc = 0;

	fz_var(rc);
	fz_try(d->ctx)
	{
		for (size_t i = 0; i < j->nw && rc == 0; i++) {
			int dup = 0;
			for (size_t k = 0; k < i; k++)
				dup |= j->w[k].page == j->w[i].page;
			if (!dup)
				rc = write_page(u, d, j, wnum, i, &page, &annots, err);
		}
	}
	fz_catch(d->ctx)
		rc = es_err_set(err, ES_EPDF, "cannot copy a page: %s", fz_caught_message(d->ctx));
	es_buf_free(&page, 0);
	es_buf_free(&annots, 0);
	return rc;
}

typedef struct formsrc {
	es_buf cat, af, fields, perms;
	rawval cv, av, fv, pv;
} formsrc;

static void formsrc_free(formsrc *f)
{
	es_buf_free(&f->cat, 0);
	es_buf_free(&f->af, 0);
	es_buf_free(&f->fields, 0);
	es_buf_free(&f->perms, 0);
}

static int formsrc_load(formsrc *f, pdfdoc *d, es_err *err)
{
	pdf_obj *cat = catalog(d->ctx, d->doc);
	int rc;

	if ((rc = raw_object(&f->cat, d, pdf_to_num(d->ctx, cat), err)) < 0)
		return rc;
	f->cv = rv(&f->cat);
	if ((rc = raw_lookup(&f->av, d, &f->cv, "AcroForm", &f->af, err)) < 0 ||
	    (rc = raw_lookup(&f->fv, d, &f->av, "Fields", &f->fields, err)) < 0)
		return rc;
	return raw_lookup(&f->pv, d, &f->cv, "Perms", &f->perms, err);
}

static int acroform_body(es_buf *b, const formsrc *f, int flags, int field, es_err *err)
{
	static const char *const skip[] = {"Fields", "SigFlags", NULL};
	int rc;

	if ((rc = es_buf_puts(b, "<<\n", err)) < 0 || (rc = raw_copy_entries(b, &f->av, skip, err)) < 0 ||
	    (rc = es_buf_puts(b, "/Fields [", err)) < 0 || (rc = raw_copy_items(b, &f->fv, err)) < 0)
		return rc;
	return es_buf_printf(b, err, "%d 0 R]\n/SigFlags %d\n>>", field,
			     flags | SIGFLAGS_SIGNATURES_EXIST | SIGFLAGS_APPEND_ONLY);
}

/* Updated /AcroForm object, or catalog copy when /AcroForm is inline/absent
 * or /Perms must change (certification, ISO 32000-2 §12.8.2.2). */
static int write_form(pdfupd *u, pdfdoc *d, const sigjob *j, int field, int sig, es_err *err)
{
	static const char *const skip_af[] = {"AcroForm", "Perms", NULL};
	static const char *const skip_mdp[] = {"DocMDP", NULL};
	fz_context *ctx = d->ctx;
	pdf_obj *cat = catalog(ctx, d->doc);
	pdf_obj *af = pdf_dict_get(ctx, cat, PDF_NAME(AcroForm));
	int flags = pdf_dict_get_int(ctx, af, PDF_NAME(SigFlags));
	int certify = !j->docts && j->o->certify, indirect = pdf_is_indirect(ctx, af);
	formsrc f;
	int rc = 0;

	memset(&f, 0, sizeof(f));
	fz_var(rc);
	fz_try(ctx)
		rc = formsrc_load(&f, d, err);
	fz_catch(ctx)
		rc = es_err_set(err, ES_EPDF, "cannot read the catalog: %s", fz_caught_message(ctx));
	if (rc < 0)
		goto out;
	if (indirect) {
		if ((rc = upd_obj(u, pdf_to_num(ctx, af), pdf_to_gen(ctx, af), err)) < 0 ||
		    (rc = acroform_body(&u->b, &f, flags, field, err)) < 0 || (rc = upd_endobj(u, err)) < 0)
			goto out;
		if (!certify)
			goto out;
	}
	if ((rc = upd_obj(u, pdf_to_num(ctx, cat), pdf_to_gen(ctx, cat), err)) < 0 ||
	    (rc = es_buf_puts(&u->b, "<<\n", err)) < 0 ||
	    (rc = raw_copy_entries(&u->b, &f.cv, skip_af, err)) < 0)
		goto out;
	if (indirect)
		rc = es_buf_printf(&u->b, err, "/AcroForm %d %d R\n", pdf_to_num(ctx, af), pdf_to_gen(ctx, af));
	else if ((rc = es_buf_puts(&u->b, "/AcroForm ", err)) == 0)
		rc = acroform_body(&u->b, &f, flags, field, err);
	if (rc == 0 && (certify || f.pv.p)) {
		rc = es_buf_puts(&u->b, "\n/Perms <<\n", err);
		if (rc == 0)
			rc = raw_copy_entries(&u->b, &f.pv, certify ? skip_mdp : NULL, err);
		if (rc == 0 && certify)
			rc = es_buf_printf(&u->b, err, "/DocMDP %d 0 R\n", sig);
		if (rc == 0)
			rc = es_buf_puts(&u->b, ">>", err);
	}
	if (rc == 0)
		rc = es_buf_puts(&u->b, "\n>>", err);
	if (rc == 0)
		rc = upd_endobj(u, err);
out:
	formsrc_free(&f);
	return rc;
}

static int build_sig_update(pdfupd *u, pdfdoc *d, sigjob *j, es_err *err)
{
	int sig = upd_alloc(u), field, rc = 0;
	int *wnum = calloc(j->nw, sizeof(int)), *apnum = calloc(j->nw, sizeof(int));
	char br[BYTERANGE_WIDTH + 1];

	if (!wnum || !apnum) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	if (!d->ends_with_eol && (rc = es_buf_puts(&u->b, "\n", err)) < 0)
		goto out;
	field = j->nw > 1 ? upd_alloc(u) : 0;
	for (size_t i = 0; i < j->nw; i++) {
		wnum[i] = upd_alloc(u);
		apnum[i] = j->w[i].hidden ? 0 : upd_alloc(u);
	}
	if ((rc = write_sigdict(u, j, sig, err)) < 0)
		goto out;
	fz_var(rc);
	fz_try(d->ctx)
	{
		for (size_t i = 0; i < j->nw && rc == 0; i++)
			rc = write_widget(u, d, j, &j->w[i], wnum[i], apnum[i], sig, field, err);
	}
	fz_catch(d->ctx)
		rc = es_err_set(err, ES_EPDF, "cannot read a page: %s", fz_caught_message(d->ctx));
	if (rc == 0 && field) {
		if ((rc = upd_obj(u, field, 0, err)) == 0)
			rc = es_buf_printf(&u->b, err, "<< /FT /Sig /T (%s) /V %d 0 R /Kids [", j->field, sig);
		for (size_t i = 0; i < j->nw && rc == 0; i++)
			rc = es_buf_printf(&u->b, err, "%d 0 R ", wnum[i]);
		if (rc == 0 && (rc = es_buf_puts(&u->b, "] >>", err)) == 0)
			rc = upd_endobj(u, err);
	}
	if (rc == 0)
		rc = write_pages(u, d, j, wnum, err);
	if (rc == 0)
		rc = write_form(u, d, j, field ? field : wnum[0], sig, err);
	if (rc == 0)
		rc = upd_finish(u, d, err);
	if (rc < 0)
		goto out;
	/* §12.8.1: ByteRange covers everything except the /Contents string. */
	j->br[0] = 0;
	j->br[3] = u->base + (int64_t)u->b.len - j->br[2];
	j->br[1] = j->br[1] - j->br[0];
	snprintf(br, sizeof(br), "[0 %lld %lld %lld]", (long long)j->br[1], (long long)j->br[2],
		 (long long)j->br[3]);
	memset(u->b.data + j->br_off, ' ', BYTERANGE_WIDTH);
	memcpy(u->b.data + j->br_off, br, strlen(br));
out:
	free(wnum);
	free(apnum);
	return rc;
}

/* dry_run: only the size matters (pdf_cms_make()). */
static int make_contents(unsigned char **der, size_t *len, const sigjob *j,
			 const unsigned char dg[SHA256_LEN], int dry_run, es_err *err)
{
	if (!j->docts)
		return pdf_cms_make(der, len, dg, j->o, dry_run, err);
	/* B-LTA: the TimeStampToken itself is the /Contents (ETSI EN 319 142-1 §5.4.3). */
	return j->o->tsa(j->o->tsa_ctx, dg, SHA256_LEN, NID_sha256, der, len, err);
}

/* Bytes to reserve in /Contents.  With tsa_reserve no TSA is asked: the
 * dry-run CMS has a placeholder signature of the largest size and the
 * token counts at the caller's bound.  Without it the dry run asks the
 * TSA, whose token size is not known otherwise (external TSAs). */
static int contents_size(size_t *out, const sigjob *j, es_err *err)
{
	static const unsigned char zero[SHA256_LEN];
	size_t tst = j->o->level >= ES_PADES_B_T ? j->o->tsa_reserve : 0, len = 0;
	unsigned char *der = NULL;
	int rc;

	if (j->docts && tst > 0) {
		*out = tst;
		return 0;
	}
	if ((rc = make_contents(&der, &len, j, zero, 1, err)) < 0)
		return rc;
	free(der);
	*out = tst > 0 ? len + tst + ES_PDF_TST_ATTR_MAX : len + ES_PDF_CONTENTS_MARGIN;
	return 0;
}

/* The DER, hex-encoded, into the zero-filled /Contents of the update; a
 * copy padded to the reserved length stays in j (the DSS VRI key). */
static int fill_contents(pdfupd *u, sigjob *j, const unsigned char *der, size_t len, es_err *err)
{
	char *hex = malloc(2 * len + 1);

	j->contents = calloc(1, j->reserved);
	if (!hex || !j->contents) {
		free(hex);
		return es_err_set(err, ES_ENOMEM, "out of memory");
	}
	memcpy(j->contents, der, len);
	es_hex_encode(hex, der, len);
	memcpy(u->b.data + (j->br[1] + 1 - u->base), hex, 2 * len);
	free(hex);
	j->der_len = len;
	return 0;
}

/* One signature revision appended to the output; d is the output so far. */
static int sig_revision(outfile *of, pdfdoc *d, sigjob *j, es_err *err)
{
	unsigned char dg[SHA256_LEN], *der = NULL;
	EVP_MD_CTX *head = EVP_MD_CTX_new();
	size_t len = 0;
	pdfupd u;
	int rc, attempt;

	if (!head)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	upd_init(&u, d);
	if (d->file_len != of->len) {
		rc = es_err_set(err, ES_EIO, "the output changed while it was being signed; nothing written");
		goto out;
	}
	if ((rc = contents_size(&j->reserved, j, err)) < 0)
		goto out;
	for (attempt = 0; attempt < MAX_CONTENTS_ATTEMPTS; attempt++) {
		free(der);
		der = NULL;
		upd_free(&u);
		upd_init(&u, d);
		fz_try(d->ctx)
			rc = build_sig_update(&u, d, j, err);
		fz_catch(d->ctx)
			rc = es_err_set(err, ES_EPDF, "cannot build the signature update: %s",
					fz_caught_message(d->ctx));
		if (rc < 0)
			goto out;
		if ((rc = range_digest(head, of, &u, j->br, dg, err)) < 0 ||
		    (rc = make_contents(&der, &len, j, dg, 0, err)) < 0)
			goto out;
		if (len <= j->reserved)
			break;
		j->reserved = len + ES_PDF_CONTENTS_MARGIN;
	}
	if (len > j->reserved) {
		rc = es_err_set(err, ES_ECRYPTO, "the signature keeps growing (%zu bytes)", len);
		goto out;
	}
	if ((rc = fill_contents(&u, j, der, len, err)) == 0)
		rc = out_append(of, &u.b, head, (size_t)(j->br[1] - u.base), err);
out:
	free(der);
	EVP_MD_CTX_free(head);
	upd_free(&u);
	return rc;
}

/* ---------- B-LT: /DSS (ETSI EN 319 142-1 §5.4.2) ---------- */

typedef struct dssrefs {
	es_buf certs, crls, ocsps; /* "n 0 R " lists */
} dssrefs;

static int dss_stream(pdfupd *u, es_buf *list, const void *der, size_t len, es_err *err)
{
	int num = upd_alloc(u), rc = upd_stream(u, num, "", der, len, 0, err);

	return rc ? rc : es_buf_printf(list, err, "%d 0 R ", num);
}

static int dss_cert(pdfupd *u, es_buf *list, X509 *x, es_err *err)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p), rc;

	if (n <= 0)
		return es_err_ssl(err, ES_ECRYPTO, "cannot encode a certificate");
	rc = dss_stream(u, list, p, (size_t)n, err);
	OPENSSL_free(p);
	return rc;
}

static int dss_objects(pdfupd *u, const es_pdf_sign_opts *o, dssrefs *r, es_err *err)
{
	int rc = dss_cert(u, &r->certs, o->cert, err);

	for (int i = 0; rc == 0 && o->chain && i < sk_X509_num(o->chain); i++)
		rc = dss_cert(u, &r->certs, sk_X509_value(o->chain, i), err);
	for (int i = 0; rc == 0 && o->dss_certs && i < sk_X509_num(o->dss_certs); i++)
		rc = dss_cert(u, &r->certs, sk_X509_value(o->dss_certs, i), err);
	for (size_t i = 0; rc == 0 && i < o->ncrls; i++)
		rc = dss_stream(u, &r->crls, o->crls[i], o->crl_lens[i], err);
	for (size_t i = 0; rc == 0 && i < o->nocsps; i++)
		rc = dss_stream(u, &r->ocsps, o->ocsps[i], o->ocsp_lens[i], err);
	return rc;
}

static int dss_array(es_buf *b, const char *key, const rawval *old, es_buf *add, es_err *err)
{
	int rc;

	if (!add->len && !old->p)
		return 0;
	if ((rc = es_buf_printf(b, err, "/%s [", key)) < 0 || (rc = raw_copy_items(b, old, err)) < 0 ||
	    (rc = es_buf_append(b, add->data, add->len, err)) < 0)
		return rc;
	return es_buf_puts(b, "]\n", err);
}

typedef struct dsssrc {
	es_buf cat, dss, certs, crls, ocsps, vri;
	rawval cv, dv, certs_v, crls_v, ocsps_v, vri_v;
} dsssrc;

static void dsssrc_free(dsssrc *s)
{
	es_buf *all[] = {&s->cat, &s->dss, &s->certs, &s->crls, &s->ocsps, &s->vri};
	for (size_t i = 0; i < ES_ARRAY_LEN(all); i++)
		es_buf_free(all[i], 0);
}

static int dsssrc_load(dsssrc *s, pdfdoc *d, es_err *err)
{
	int rc = raw_object(&s->cat, d, pdf_to_num(d->ctx, catalog(d->ctx, d->doc)), err);

	if (rc < 0)
		return rc;
	s->cv = rv(&s->cat);
	if ((rc = raw_lookup(&s->dv, d, &s->cv, "DSS", &s->dss, err)) < 0 ||
	    (rc = raw_lookup(&s->certs_v, d, &s->dv, "Certs", &s->certs, err)) < 0 ||
	    (rc = raw_lookup(&s->crls_v, d, &s->dv, "CRLs", &s->crls, err)) < 0 ||
	    (rc = raw_lookup(&s->ocsps_v, d, &s->dv, "OCSPs", &s->ocsps, err)) < 0)
		return rc;
	return raw_lookup(&s->vri_v, d, &s->dv, "VRI", &s->vri, err);
}

static int build_dss(pdfupd *u, pdfdoc *d, const sigjob *sj, es_err *err)
{
	static const char *const skip_cat[] = {"DSS", NULL};
	static const rawval none = {NULL, 0};
	fz_context *ctx = d->ctx;
	pdf_obj *cat = catalog(ctx, d->doc);
	unsigned char sha1[SHA_DIGEST_LENGTH];
	char key[2 * SHA_DIGEST_LENGTH + 1];
	dssrefs r = {{0}, {0}, {0}};
	dsssrc src;
	int dss, rc = 0;

	memset(&src, 0, sizeof(src));
	if (!d->ends_with_eol)
		rc = es_buf_puts(&u->b, "\n", err);
	fz_var(rc);
	fz_try(ctx)
	{
		if (rc == 0)
			rc = dsssrc_load(&src, d, err);
	}
	fz_catch(ctx)
		rc = es_err_set(err, ES_EPDF, "cannot read the catalog: %s", fz_caught_message(ctx));
	if (rc == 0)
		rc = dss_objects(u, sj->o, &r, err);
	if (rc < 0)
		goto out;
	/* VRI key: upper-case hex SHA-1 of the signature's /Contents bytes. */
	SHA1(sj->contents, sj->reserved, sha1);
	for (size_t i = 0; i < sizeof(sha1); i++)
		snprintf(key + 2 * i, 3, "%02X", sha1[i]);
	dss = upd_alloc(u);
	if ((rc = upd_obj(u, dss, 0, err)) < 0 || (rc = es_buf_puts(&u->b, "<< /Type /DSS\n", err)) < 0 ||
	    (rc = dss_array(&u->b, "Certs", &src.certs_v, &r.certs, err)) < 0 ||
	    (rc = dss_array(&u->b, "CRLs", &src.crls_v, &r.crls, err)) < 0 ||
	    (rc = dss_array(&u->b, "OCSPs", &src.ocsps_v, &r.ocsps, err)) < 0 ||
	    (rc = es_buf_puts(&u->b, "/VRI <<\n", err)) < 0 ||
	    (rc = raw_copy_entries(&u->b, &src.vri_v, NULL, err)) < 0 ||
	    (rc = es_buf_printf(&u->b, err, "/%s <<\n", key)) < 0)
		goto out;
	if ((rc = dss_array(&u->b, "Cert", &none, &r.certs, err)) < 0 ||
	    (rc = dss_array(&u->b, "CRL", &none, &r.crls, err)) < 0 ||
	    (rc = dss_array(&u->b, "OCSP", &none, &r.ocsps, err)) < 0 ||
	    (rc = es_buf_puts(&u->b, ">>\n>>\n>>", err)) < 0 || (rc = upd_endobj(u, err)) < 0)
		goto out;
	if ((rc = upd_obj(u, pdf_to_num(ctx, cat), pdf_to_gen(ctx, cat), err)) < 0 ||
	    (rc = es_buf_puts(&u->b, "<<\n", err)) < 0 ||
	    (rc = raw_copy_entries(&u->b, &src.cv, skip_cat, err)) < 0 ||
	    (rc = es_buf_printf(&u->b, err, "/DSS %d 0 R\n>>", dss)) < 0 || (rc = upd_endobj(u, err)) < 0)
		goto out;
	rc = upd_finish(u, d, err);
out:
	dsssrc_free(&src);
	es_buf_free(&r.certs, 0);
	es_buf_free(&r.crls, 0);
	es_buf_free(&r.ocsps, 0);
	return rc;
}

static int dss_revision(outfile *of, const sigjob *sj, es_err *err)
{
	pdfdoc d;
	pdfupd u;
	int rc;

	if ((rc = pdfdoc_open(&d, of->tmp, err)) < 0)
		return rc;
	upd_init(&u, &d);
	fz_try(d.ctx)
		rc = build_dss(&u, &d, sj, err);
	fz_catch(d.ctx)
		rc = es_err_set(err, ES_EPDF, "cannot build the DSS update: %s", fz_caught_message(d.ctx));
	if (rc == 0 && u.base != of->len)
		rc = es_err_set(err, ES_EIO, "the output changed while it was being signed; nothing written");
	if (rc == 0)
		rc = out_append(of, &u.b, NULL, 0, err);
	upd_free(&u);
	pdfdoc_close(&d);
	return rc;
}

/* ---------- driver ---------- */

static int check_opts(const es_pdf_sign_opts *o, es_err *err)
{
	if (!o || o->version != 1)
		return es_err_set(err, ES_EINVAL, "es_pdf_sign_opts: start from ES_PDF_SIGN_OPTS_INIT");
	if (!o->key || !o->cert)
		return es_err_set(err, ES_EINVAL, "a signing key and certificate are required");
	if (X509_check_private_key(o->cert, o->key) != 1)
		return es_err_ssl(err, ES_EINVAL, "the signing key does not match the certificate");
	if (!o->appearance || !o->appearance_len || !(o->width_mm > 0) || !(o->height_mm > 0) ||
	    o->width_mm > 1000 || o->height_mm > 1000)
		return es_err_set(err, ES_EINVAL, "the seal appearance and a size in mm (0..1000) are required");
	if (o->level < ES_PADES_B_B || o->level > ES_PADES_B_LTA)
		return es_err_set(err, ES_EINVAL, "unknown PAdES level %d", (int)o->level);
	if (o->level >= ES_PADES_B_T && !o->tsa)
		return es_err_set(err, ES_EINVAL, "PAdES B-T and above need a timestamp source (tsa)");
	if (o->certify < 0 || o->certify > 3)
		return es_err_set(err, ES_EINVAL, "certify must be 0..3");
	if (o->keyword && (!*o->keyword || o->occurrence < 0))
		return es_err_set(err, ES_EINVAL, "empty keyword or negative occurrence");
	if ((o->ncrls && (!o->crls || !o->crl_lens)) || (o->nocsps && (!o->ocsps || !o->ocsp_lens)))
		return es_err_set(err, ES_EINVAL, "CRL/OCSP lists need data and lengths");
	return 0;
}

/* The signature revision over the copy of the input: MuPDF reads that copy
 * once, to check the form, place the seal and build the update (so the
 * update describes exactly the bytes being signed). */
static int seal_revision(outfile *of, const char *in_path, sigjob *j, pdfwidget **w,
			 es_err *err)
{
	size_t nw = 0;
	pdfdoc d;
	int rc = pdfdoc_open_as(&d, of->tmp, in_path, err);

	if (rc < 0)
		return rc;
	fz_try(d.ctx)
		rc = check_doc(&d, j->o, 0, j->field, err);
	fz_catch(d.ctx)
		rc = es_err_set(err, ES_EPDF, "cannot read the form: %s", fz_caught_message(d.ctx));
	if (rc == 0)
		rc = pdf_place(w, &nw, &d, j->o, err);
	j->w = *w;
	j->nw = nw;
	if (rc == 0)
		rc = sig_revision(of, &d, j, err);
	pdfdoc_close(&d);
	return rc;
}

static int docts_revision(outfile *of, const es_pdf_sign_opts *o, es_err *err)
{
	pdfwidget w;
	sigjob j;
	pdfdoc d;
	int rc;

	memset(&w, 0, sizeof(w));
	memset(&j, 0, sizeof(j));
	w.hidden = 1;
	w.disp_to_user = fz_identity;
	j.docts = 1;
	j.o = o;
	j.w = &w;
	j.nw = 1;
	if ((rc = pdfdoc_open(&d, of->tmp, err)) < 0)
		return rc;
	fz_try(d.ctx)
		rc = check_doc(&d, o, 1, j.field, err);
	fz_catch(d.ctx)
		rc = es_err_set(err, ES_EPDF, "cannot read the form: %s", fz_caught_message(d.ctx));
	if (rc == 0)
		rc = sig_revision(of, &d, &j, err);
	pdfdoc_close(&d);
	free(j.contents);
	return rc;
}

static int finish_file(int fd, const char *tmp, const char *out, es_err *err)
{
	char dir[PATH_MAX];
	int dfd;

	if (fchmod(fd, OUTPUT_MODE) != 0 || fsync(fd) != 0)
		return es_err_set(err, ES_EIO, "cannot flush %s: %s", tmp, strerror(errno));
	if (rename(tmp, out) != 0)
		return es_err_set(err, ES_EIO, "cannot rename to %s: %s", out, strerror(errno));
	snprintf(dir, sizeof(dir), "%s", out);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

static void fill_result(es_pdf_sign_result *res, const sigjob *j, const char *in_sha256,
			const char *out_sha256)
{
	if (!res)
		return;
	memset(res, 0, sizeof(*res));
	snprintf(res->field, sizeof(res->field), "%s", j->field);
	snprintf(res->in_sha256, sizeof(res->in_sha256), "%s", in_sha256);
	snprintf(res->out_sha256, sizeof(res->out_sha256), "%s", out_sha256);
	res->nplacements = j->nw;
	for (size_t i = 0; i < j->nw && i < ES_PDF_MAX_PLACEMENTS; i++) {
		const fz_rect *b = &j->w[i].box;
		res->placements[i].page = j->w[i].page + 1;
		res->placements[i].x_mm = b->x0 / ES_PT_PER_MM;
		res->placements[i].y_mm = b->y0 / ES_PT_PER_MM;
		res->placements[i].w_mm = (b->x1 - b->x0) / ES_PT_PER_MM;
		res->placements[i].h_mm = (b->y1 - b->y0) / ES_PT_PER_MM;
	}
	res->cms_len = j->der_len;
	res->contents_reserved = j->reserved;
}

int es_pdf_sign(const char *in_path, const char *out_path, const es_pdf_sign_opts *o,
		es_pdf_sign_result *res, es_err *err)
{
	char tmp[PATH_MAX], in_hex[2 * SHA256_LEN + 1], out_hex[2 * SHA256_LEN + 1];
	outfile of;
	pdfwidget *w = NULL;
	sigjob j;
	int n, rc;

	memset(&j, 0, sizeof(j));
	memset(&of, 0, sizeof(of));
	of.tmp = tmp;
	of.fd = -1;
	j.o = o;
	if ((rc = check_opts(o, err)) < 0)
		return rc;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out_path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		rc = es_err_set(err, ES_EINVAL, "output path too long");
		goto out;
	}
	of.sha = EVP_MD_CTX_new();
	if (!of.sha || EVP_DigestInit_ex(of.sha, EVP_sha256(), NULL) != 1) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	of.fd = mkstemp(tmp);
	if (of.fd < 0) {
		rc = es_err_set(err, ES_EIO, "cannot create a file next to %s: %s", out_path, strerror(errno));
		goto out;
	}
	if ((rc = copy_file(&of, in_path, err)) < 0 || (rc = seal_revision(&of, in_path, &j, &w, err)) < 0 ||
	    (rc = of_join(&of, err)) < 0)
		goto out;
	memcpy(in_hex, of.in_hex, sizeof(in_hex));
	if (o->level >= ES_PADES_B_LT && (rc = dss_revision(&of, &j, err)) < 0)
		goto out;
	if (o->level >= ES_PADES_B_LTA && (rc = docts_revision(&of, o, err)) < 0)
		goto out;
	if ((rc = out_sha256_hex(out_hex, &of, err)) < 0 ||
	    (rc = finish_file(of.fd, tmp, out_path, err)) < 0)
		goto out;
	fill_result(res, &j, in_hex, out_hex);
out:
	(void)of_join(&of, NULL);
	if (of.fd >= 0) {
		close(of.fd);
		if (rc < 0)
			unlink(tmp);
	}
	EVP_MD_CTX_free(of.sha);
	free(j.contents);
	free(w);
	return rc;
}
