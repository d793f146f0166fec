/* SPDX-License-Identifier: AGPL-3.0-or-later
 *
 * es_pdf_sign end to end: inputs made with mutool create / qpdf, a test
 * P-256 CA and TSA made with plain OpenSSL, results checked with pdfsig,
 * qpdf --check, openssl cms -verify and pixels rendered by pdftoppm. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include "eseal/pdf.h"

#define SEAL_MM 40.0
#define DPI 50

static char dir[64];
static EVP_PKEY *root_key, *ca_key, *leaf_key, *tsa_key;
static X509 *root, *ca, *leaf, *tsa;
static STACK_OF(X509) *chain, *tsa_chain;
static char appearance[2048];
static int tsa_calls;
static int have_nss; /* certutil (libnss3-tools) made an NSS db trusting our root */

/* ---------- helpers ---------- */

static const char *path(const char *name)
{
	static char buf[8][256];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static char *capture(const char *fmt, ...)
{
	char cmd[2048];
	static char out[65536];
	size_t n = 0, r;
	va_list ap;
	FILE *f;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	assert_non_null(f);
	while ((r = fread(out + n, 1, sizeof(out) - 1 - n, f)) > 0)
		n += r;
	out[n] = '\0';
	pclose(f);
	return out;
}

static void write_text(const char *p, const char *s)
{
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static unsigned char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	unsigned char *b;
	long n;
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = 0;
	*len = (size_t)n;
	return b;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ---------- test PKI ---------- */

static X509 *mkcert(EVP_PKEY *subj, const char *cn, X509 *issuer, EVP_PKEY *ikey, int kind)
{
	static long serial = 100;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v;
	const char *ext[4][2] = {{NULL, NULL}};
	int i;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
	X509_set_pubkey(x, subj);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, (const unsigned char *)"CN", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_NAME_free(name);
	X509V3_set_ctx(&v, issuer ? issuer : x, x, NULL, NULL, 0);
	if (kind == 0) {
		ext[0][0] = "basicConstraints"; ext[0][1] = "critical,CA:TRUE";
		ext[1][0] = "keyUsage"; ext[1][1] = "critical,keyCertSign,cRLSign";
	} else if (kind == 1) {
		ext[0][0] = "keyUsage"; ext[0][1] = "critical,digitalSignature,nonRepudiation";
	} else {
		ext[0][0] = "keyUsage"; ext[0][1] = "critical,digitalSignature";
		ext[1][0] = "extendedKeyUsage"; ext[1][1] = "critical,timeStamping";
	}
	ext[2][0] = "subjectKeyIdentifier"; ext[2][1] = "hash";
	if (issuer) {
		ext[3][0] = "authorityKeyIdentifier";
		ext[3][1] = "keyid";
	}
	for (i = 0; i < 4; i++) {
		X509_EXTENSION *e;
		if (!ext[i][0])
			continue;
		e = X509V3_EXT_conf(NULL, &v, ext[i][0], ext[i][1]);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, ikey ? ikey : subj, EVP_sha256()) > 0);
	return x;
}

static int test_tsa(void *ctx, const unsigned char *dg, size_t dlen, int md_nid,
		    unsigned char **tok, size_t *len, es_err *err)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	TS_RESP_CTX *c = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj("1.2.3.4.1", 1);
	BIO *b = BIO_new(BIO_s_mem());
	TS_RESP *resp;
	unsigned char *p = NULL;
	int n;

	(void)ctx;
	(void)err;
	tsa_calls++;
	X509_ALGOR_set0(alg, OBJ_nid2obj(md_nid), V_ASN1_NULL, NULL);
	TS_MSG_IMPRINT_set_algo(mi, alg);
	TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)dg, (int)dlen);
	TS_REQ_set_msg_imprint(req, mi);
	TS_REQ_set_version(req, 1);
	TS_REQ_set_cert_req(req, 1);
	i2d_TS_REQ_bio(b, req);
	TS_RESP_CTX_set_signer_cert(c, tsa);
	TS_RESP_CTX_set_signer_key(c, tsa_key);
	TS_RESP_CTX_set_certs(c, tsa_chain);
	TS_RESP_CTX_set_def_policy(c, policy);
	TS_RESP_CTX_add_md(c, EVP_sha256());
	TS_RESP_CTX_set_signer_digest(c, EVP_sha256());
	TS_RESP_CTX_set_ess_cert_id_digest(c, EVP_sha256());
	resp = TS_RESP_create_response(c, b);
	assert_non_null(resp);
	assert_non_null(TS_RESP_get_token(resp));
	n = i2d_PKCS7(TS_RESP_get_token(resp), &p);
	assert_true(n > 0);
	*tok = malloc((size_t)n);
	memcpy(*tok, p, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(p);
	TS_RESP_free(resp);
	TS_RESP_CTX_free(c);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	TS_REQ_free(req);
	ASN1_OBJECT_free(policy);
	BIO_free(b);
	return 0;
}

/* Red disc (radius 0.4 w) plus a red bar across the top tenth: the bar
 * tells upright from rotated in renders. */
static void make_appearance(void)
{
	double w = SEAL_MM * 72 / 25.4, c = w / 2, r = 0.4 * w, k = 0.5523 * r;
	snprintf(appearance, sizeof(appearance),
		 "1 0 0 rg\n%.3f %.3f m\n%.3f %.3f %.3f %.3f %.3f %.3f c\n%.3f %.3f %.3f %.3f %.3f %.3f c\n"
		 "%.3f %.3f %.3f %.3f %.3f %.3f c\n%.3f %.3f %.3f %.3f %.3f %.3f c\nf\n"
		 "0 %.3f %.3f %.3f re f\n",
		 c + r, c, c + r, c + k, c + k, c + r, c, c + r, c - k, c + r, c - r, c + k, c - r, c,
		 c - r, c - k, c - k, c - r, c, c - r, c + k, c - r, c + r, c - k, c + r, c,
		 0.92 * w, w, 0.08 * w);
}

/* ---------- inputs ---------- */

static const char page1[] =
	"%%MediaBox 0 0 595 842\n%%CJKFont F1 zh-Hans H Serif\n%%Font F2 Helvetica\n"
	"BT /F1 24 Tf 100 700 Td <76d67ae05904> Tj ET\n"
	"BT /F2 12 Tf 100 600 Td (SIGN HERE) Tj ET\n";
static const char page2[] =
	"%%MediaBox 0 0 595 842\n%%CJKFont F1 zh-Hans H Serif\n"
	"BT /F1 24 Tf 300 400 Td <76d67ae05904> Tj ET\n"
	"BT /F1 24 Tf 100 200 Td <76d67ae05904> Tj ET\n";
static const char page_rot[] =
	"%%MediaBox 0 0 595 842\n%%Rotate 90\n%%Font F2 Helvetica\n"
	"BT /F2 12 Tf 100 600 Td (ROTATED) Tj ET\n";

/* A PDF written by hand from object bodies 1..n (classic xref). */
static void write_objs(const char *file, const char *version, char *const *objs, int n)
{
	FILE *f = fopen(file, "wb");
	long *offs = calloc((size_t)n, sizeof(long)), x;

	assert_non_null(f);
	fprintf(f, "%%PDF-%s\n", version);
	for (int i = 0; i < n; i++) {
		offs[i] = ftell(f);
		fprintf(f, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	x = ftell(f);
	fprintf(f, "xref\n0 %d\n0000000000 65535 f \n", n + 1);
	for (int i = 0; i < n; i++)
		fprintf(f, "%010ld 00000 n \n", offs[i]);
	fprintf(f, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", n + 1, x);
	fclose(f);
	free(offs);
}

static const char blue_square[] = "<< /Length 26 >>\nstream\n0 0 1 rg 10 10 50 50 re f\nendstream";

/* One page with extra page-dict entries (for what mutool create lacks). */
static void write_one_page(const char *file, const char *version, const char *page_extra)
{
	char page[512];
	char *objs[4] = {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			 page, (char *)blue_square};
	snprintf(page, sizeof(page), "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 420] %s "
		 "/Contents 4 0 R /Resources << >> >>", page_extra);
	write_objs(file, version, objs, 4);
}

/* n pages sharing one content stream. */
static void write_many_pages(const char *file, int n)
{
	char **objs = calloc((size_t)n + 3, sizeof(char *));
	size_t cap = (size_t)n * 12 + 64, len;
	char *kids = malloc(cap);

	len = (size_t)snprintf(kids, cap, "<< /Type /Pages /Count %d /Kids [", n);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(kids + len, cap - len, "%d 0 R ", i + 4);
	snprintf(kids + len, cap - len, "] >>");
	objs[0] = "<< /Type /Catalog /Pages 2 0 R >>";
	objs[1] = kids;
	objs[2] = (char *)blue_square;
	for (int i = 0; i < n; i++) {
		objs[i + 3] = malloc(128);
		snprintf(objs[i + 3], 128, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>");
	}
	write_objs(file, "1.4", objs, n + 3);
	for (int i = 0; i < n; i++)
		free(objs[i + 3]);
	free(kids);
	free(objs);
}

/* An indirect /AcroForm with a filled text field on the page. */
static void write_form(const char *file)
{
	char *objs[6] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [6 0 R] >>",
		(char *)blue_square,
		"<< /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) >>",
		"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (hello) /Rect [300 700 500 720] /P 3 0 R /F 4 >>",
	};
	write_objs(file, "2.0", objs, 6);
}

static void make_inputs(void)
{
	write_one_page(path("userunit.pdf"), "1.6", "/UserUnit 2");
	write_one_page(path("crop.pdf"), "1.3", "/CropBox [50 100 250 400]");
	write_many_pages(path("big.pdf"), 1000);
	write_form(path("form.pdf"));
	write_text(path("p1.txt"), page1);
	write_text(path("p2.txt"), page2);
	write_text(path("pr.txt"), page_rot);
	assert_int_equal(run("cd %s && mutool create -o plain.pdf p1.txt p2.txt 2>/dev/null", dir), 0);
	assert_int_equal(run("cd %s && mutool create -o rot.pdf pr.txt 2>/dev/null", dir), 0);
	assert_int_equal(run("cd %s && qpdf --object-streams=generate plain.pdf objstm.pdf", dir), 0);
	assert_int_equal(run("cd %s && qpdf --linearize plain.pdf lin.pdf", dir), 0);
	assert_int_equal(run("cd %s && qpdf --encrypt user owner 256 -- plain.pdf enc.pdf", dir), 0);
	write_text(path("notpdf.pdf"), "hello, this is not a PDF\n");
	assert_int_equal(run("cd %s && head -c 300 plain.pdf > trunc.pdf", dir), 0);
}

static int setup(void **state)
{
	FILE *f;
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/es-pdf-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	root_key = EVP_EC_gen("P-256");
	ca_key = EVP_EC_gen("P-256");
	leaf_key = EVP_EC_gen("P-256");
	tsa_key = EVP_EC_gen("P-256");
	root = mkcert(root_key, "eseal test root", NULL, NULL, 0);
	ca = mkcert(ca_key, "eseal test issuing CA", root, root_key, 0);
	leaf = mkcert(leaf_key, "测试公司 seal", ca, ca_key, 1);
	tsa = mkcert(tsa_key, "eseal test TSA", root, root_key, 2);
	chain = sk_X509_new_null();
	sk_X509_push(chain, ca);
	sk_X509_push(chain, root);
	tsa_chain = sk_X509_new_null();
	sk_X509_push(tsa_chain, root);
	f = fopen(path("root.pem"), "w");
	PEM_write_X509(f, root);
	fclose(f);
	make_appearance();
	make_inputs();
	have_nss = run("cd %s && mkdir nss && certutil -N -d sql:%s/nss --empty-password >/dev/null 2>&1 && "
		       "certutil -A -d sql:%s/nss -n root -t CT,C,C -i root.pem >/dev/null 2>&1", dir, dir, dir) == 0;
	if (!have_nss)
		fprintf(stderr, "certutil missing (apt-get install libnss3-tools): not checking chain trust\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (!getenv("ES_KEEP_TMP"))
		run("rm -rf %s", dir);
	sk_X509_free(chain);
	sk_X509_free(tsa_chain);
	X509_free(root); X509_free(ca); X509_free(leaf); X509_free(tsa);
	EVP_PKEY_free(root_key); EVP_PKEY_free(ca_key); EVP_PKEY_free(leaf_key); EVP_PKEY_free(tsa_key);
	return 0;
}

static es_pdf_sign_opts opts(es_pades_level level)
{
	es_pdf_sign_opts o = ES_PDF_SIGN_OPTS_INIT;
	o.appearance = appearance;
	o.appearance_len = strlen(appearance);
	o.width_mm = o.height_mm = SEAL_MM;
	o.key = leaf_key;
	o.cert = leaf;
	o.chain = chain;
	o.level = level;
	o.tsa = test_tsa;
	o.reason = "同意";
	o.location = "北京";
	o.x_mm = 100;
	o.y_mm = 150;
	return o;
}

/* ---------- checks ---------- */

/* pdfsig: n signatures, all "Signature is Valid", the last covers the whole file.
 * With an NSS db trusting our root the chain must be trusted; poppler 22.12
 * reports "Unknown issue with Certificate" when it checks the same
 * certificate again in one run, so at least one "Trusted" is required. */
static void check_pdfsig(const char *file, int n)
{
	char *out = have_nss ? capture("pdfsig -nssdir sql:%s/nss '%s' 2>&1", dir, file)
			     : capture("pdfsig '%s' 2>&1", file), *last;
	if (count_of(out, "Signature is Valid") != n || count_of(out, "Signature #") != n ||
	    (have_nss && (count_of(out, "Certificate is Trusted") < 1 || strstr(out, "isn't Trusted"))))
		fail_msg("pdfsig on %s:\n%s", file, out);
	last = strstr(out, "Signature #");
	for (char *p = last; p && (p = strstr(p + 1, "Signature #")) != NULL;)
		last = p;
	assert_non_null(strstr(last, "Total document signed"));
	assert_null(strstr(last, "Not total document signed"));
}

static void check_qpdf(const char *file)
{
	char *out = capture("qpdf --check '%s' 2>&1; echo rc=$?", file);
	if (!strstr(out, "No syntax or stream encoding errors") || !strstr(out, "rc=0"))
		fail_msg("qpdf --check %s:\n%s", file, out);
}

static long long parse_ll(const char **p)
{
	char *e;
	long long v = strtoll(*p, &e, 10);
	*p = e;
	return v;
}

/* Extract the k-th (1-based) /ByteRange's CMS and content; openssl cms -verify. */
static CMS_ContentInfo *check_cms(const char *file, int k)
{
	size_t len, i;
	unsigned char *b = slurp(file, &len), *der;
	const char *p = (const char *)b;
	long long br[4];
	CMS_ContentInfo *cms;
	const unsigned char *q;
	FILE *f;

	for (i = 0; i < (size_t)k; i++) {
		p = memmem(p, len - (size_t)(p - (const char *)b), "/ByteRange [", 12);
		assert_non_null(p);
		p += 12;
	}
	for (i = 0; i < 4; i++)
		br[i] = parse_ll(&p);
	assert_int_equal(br[0], 0);
	assert_int_equal(b[br[1]], '<');
	assert_int_equal(b[br[2] - 1], '>');
	assert_true(br[2] + br[3] <= (long long)len);
	der = calloc(1, (size_t)(br[2] - br[1]) / 2);
	for (i = 0; i < (size_t)(br[2] - br[1] - 2) / 2; i++) {
		unsigned v;
		sscanf((const char *)b + br[1] + 1 + 2 * i, "%2x", &v);
		der[i] = (unsigned char)v;
	}
	q = der;
	cms = d2i_CMS_ContentInfo(NULL, &q, (long)i);
	assert_non_null(cms);
	for (const unsigned char *z = q; z < der + i; z++)
		assert_int_equal(*z, 0); /* only zero padding after the DER */
	f = fopen(path("cms.der"), "wb");
	fwrite(der, 1, (size_t)(q - der), f);
	fclose(f);
	f = fopen(path("content.bin"), "wb");
	fwrite(b, 1, (size_t)br[1], f);
	fwrite(b + br[2], 1, (size_t)br[3], f);
	fclose(f);
	free(der);
	free(b);
	return cms;
}

static void check_openssl_verify(const char *file, int k)
{
	CMS_ContentInfo *cms = check_cms(file, k);
	CMS_ContentInfo_free(cms);
	assert_int_equal(run("openssl cms -verify -binary -inform DER -in %s -content %s -CAfile %s "
			     "-purpose any -out /dev/null 2>/dev/null",
			     path("cms.der"), path("content.bin"), path("root.pem")), 0);
}

/* Pixel of page p at (x_mm, y_mm) from pdftoppm; 1 when seal red. */
static int red_at(const char *file, int page, double x_mm, double y_mm)
{
	size_t len;
	unsigned char *img, *px;
	int w, h, maxv, off, x = (int)(x_mm / 25.4 * DPI), y = (int)(y_mm / 25.4 * DPI), red;

	assert_int_equal(run("pdftoppm -cropbox -r %d -f %d -l %d -singlefile '%s' %s", DPI, page, page, file,
			     path("render")), 0);
	img = slurp(path("render.ppm"), &len);
	assert_int_equal(sscanf((char *)img, "P6 %d %d %d%n", &w, &h, &maxv, &off), 3);
	assert_true(x >= 0 && x < w && y >= 0 && y < h);
	px = img + off + 1 + 3 * ((size_t)y * (size_t)w + (size_t)x);
	red = px[0] > 200 && px[1] < 90 && px[2] < 90;
	free(img);
	return red;
}

/* Same with MuPDF's renderer (poppler ignores /UserUnit). */
static int red_at_mupdf(const char *file, double x_mm, double y_mm)
{
	size_t len;
	unsigned char *img, *px;
	int w, h, maxv, off, x = (int)(x_mm / 25.4 * DPI), y = (int)(y_mm / 25.4 * DPI), red;

	assert_int_equal(run("mutool draw -r %d -o %s '%s' 1 2>/dev/null", DPI, path("mu.ppm"), file), 0);
	img = slurp(path("mu.ppm"), &len);
	assert_int_equal(sscanf((char *)img, "P6 %d %d %d%n", &w, &h, &maxv, &off), 3);
	assert_true(x >= 0 && x < w && y >= 0 && y < h);
	px = img + off + 1 + 3 * ((size_t)y * (size_t)w + (size_t)x);
	red = px[0] > 200 && px[1] < 90 && px[2] < 90;
	free(img);
	return red;
}

static int file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* ---------- tests ---------- */

static void bb_visible_seal_passes_pdfsig_qpdf_openssl(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_B);
	es_pdf_sign_result res;
	es_err err = ES_ERR_INIT;
	size_t la, lb;
	unsigned char *a, *b;

	(void)state;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("bb.pdf"), &o, &res, &err), 0);
	check_pdfsig(path("bb.pdf"), 1);
	check_qpdf(path("bb.pdf"));
	check_openssl_verify(path("bb.pdf"), 1);
	/* incremental: the original bytes are untouched in front */
	a = slurp(path("plain.pdf"), &la);
	b = slurp(path("bb.pdf"), &lb);
	assert_true(lb > la);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	assert_int_equal(res.nplacements, 1);
	assert_int_equal(res.placements[0].page, 1);
	assert_true(res.placements[0].x_mm > 79.9 && res.placements[0].x_mm < 80.1);
	assert_true(res.contents_reserved >= res.cms_len);
	assert_true(res.contents_reserved < res.cms_len + 4096);
	/* seal centre and bar are red, the page away from it is not; upright: bar on top */
	assert_true(red_at(path("bb.pdf"), 1, 100, 150));
	assert_true(red_at(path("bb.pdf"), 1, 100, 150 - SEAL_MM / 2 + 1));
	assert_false(red_at(path("bb.pdf"), 1, 100, 150 + SEAL_MM / 2 - 1));
	assert_false(red_at(path("bb.pdf"), 1, 100 + SEAL_MM, 150));
	assert_false(red_at(path("bb.pdf"), 2, 100, 150));

	o.page = ES_PDF_PAGE_ALL; /* one field, a widget on every page */
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("all.pdf"), &o, &res, &err), 0);
	assert_int_equal(res.nplacements, 2);
	assert_true(red_at(path("all.pdf"), 2, 100, 150));
	check_pdfsig(path("all.pdf"), 2); /* poppler lists the field once per widget */
	check_qpdf(path("all.pdf"));
	o.page = ES_PDF_PAGE_LAST;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("last.pdf"), &o, &res, &err), 0);
	assert_int_equal(res.placements[0].page, 2);
}

static void bt_has_tst_and_pades_attributes(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_T);
	es_err err = ES_ERR_INIT;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;

	(void)state;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("bt.pdf"), &o, NULL, &err), 0);
	check_pdfsig(path("bt.pdf"), 1);
	check_qpdf(path("bt.pdf"));
	check_openssl_verify(path("bt.pdf"), 1);
	cms = check_cms(path("bt.pdf"), 1);
	assert_int_equal(sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)), 1);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) < 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1) >= 0);
	assert_true(CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) >= 0);
	assert_true(CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1) >= 0);
	{
		/* the TST imprint is SHA-256 of this SignerInfo's signature value */
		X509_ATTRIBUTE *a = CMS_unsigned_get_attr(si, CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1));
		ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(a, 0);
		const unsigned char *q = t->value.sequence->data;
		PKCS7 *p7 = d2i_PKCS7(NULL, &q, t->value.sequence->length);
		TS_TST_INFO *tst = PKCS7_to_TS_TST_INFO(p7);
		ASN1_OCTET_STRING *mi = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(tst));
		ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
		unsigned char dg[32];
		assert_int_equal(t->type, V_ASN1_SEQUENCE);
		SHA256(ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), dg);
		assert_int_equal(ASN1_STRING_length(mi), 32);
		assert_memory_equal(ASN1_STRING_get0_data(mi), dg, 32);
		TS_TST_INFO_free(tst);
		PKCS7_free(p7);
	}
	assert_null(CMS_get0_content(cms) ? *CMS_get0_content(cms) : NULL);
	{
		STACK_OF(X509) *certs = CMS_get1_certs(cms);
		assert_int_equal(sk_X509_num(certs), 3);
		sk_X509_pop_free(certs, X509_free);
	}
	CMS_ContentInfo_free(cms);
}

static void resign_keeps_earlier_signature_valid(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_T);
	es_pdf_sign_result res;
	es_err err = ES_ERR_INIT;

	(void)state;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("r1.pdf"), &o, NULL, &err), 0);
	o.x_mm = 60;
	o.y_mm = 240;
	assert_int_equal(es_pdf_sign(path("r1.pdf"), path("r2.pdf"), &o, &res, &err), 0);
	assert_string_equal(res.field, "eseal_sig2");
	check_pdfsig(path("r2.pdf"), 2);
	check_qpdf(path("r2.pdf"));
	check_openssl_verify(path("r2.pdf"), 1);
	check_openssl_verify(path("r2.pdf"), 2);
	assert_true(red_at(path("r2.pdf"), 1, 100, 150));
	assert_true(red_at(path("r2.pdf"), 1, 60, 240));
	/* in place: same input and output path */
	o.x_mm = 150;
	assert_int_equal(es_pdf_sign(path("r2.pdf"), path("r2.pdf"), &o, NULL, &err), 0);
	check_pdfsig(path("r2.pdf"), 3);
}

static void keyword_chinese_centres_seal_on_text(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_B);
	es_pdf_sign_result res;
	es_err err = ES_ERR_INIT;
	double cx, cy;

	(void)state;
	o.keyword = "盖章处";
	o.occurrence = 1;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("kw1.pdf"), &o, &res, &err), 0);
	assert_int_equal(res.nplacements, 1);
	assert_int_equal(res.placements[0].page, 1);
	cx = res.placements[0].x_mm + res.placements[0].w_mm / 2;
	cy = res.placements[0].y_mm + res.placements[0].h_mm / 2;
	/* text at x 100 pt, baseline 700 pt (142 pt from the top), 3 glyphs of 24 pt */
	assert_true(cx > 100 * 25.4 / 72 && cx < 172 * 25.4 / 72);
	assert_true(cy > 118 * 25.4 / 72 && cy < 146 * 25.4 / 72);
	assert_true(red_at(path("kw1.pdf"), 1, cx, cy));
	check_pdfsig(path("kw1.pdf"), 1);

	o.occurrence = 0; /* every one: one field, a widget on each page */
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("kwall.pdf"), &o, &res, &err), 0);
	assert_int_equal(res.nplacements, 3); /* page 1 once, page 2 twice */
	assert_int_equal(res.placements[1].page, 2);
	assert_int_equal(res.placements[2].page, 2);
	assert_true(res.placements[2].y_mm > res.placements[1].y_mm + 50);
	cx = res.placements[1].x_mm + res.placements[1].w_mm / 2;
	cy = res.placements[1].y_mm + res.placements[1].h_mm / 2;
	assert_true(red_at(path("kwall.pdf"), 2, cx, cy));
	check_pdfsig(path("kwall.pdf"), 3); /* poppler lists the field once per widget */
	check_qpdf(path("kwall.pdf"));

	o.keyword = "SIGN HERE";
	o.occurrence = 1;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("kwascii.pdf"), &o, &res, &err), 0);
	assert_int_equal(res.placements[0].page, 1);
}

static void keyword_absent_fails_and_writes_nothing(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_B);
	es_err err = ES_ERR_INIT;

	(void)state;
	o.keyword = "不存在的词";
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("kwnone.pdf"), &o, NULL, &err), ES_ENOTFOUND);
	assert_false(file_exists(path("kwnone.pdf")));
	o.keyword = "盖章处";
	o.occurrence = 4;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("kwnone.pdf"), &o, NULL, &err), ES_ENOTFOUND);
	assert_non_null(strstr(err.msg, "occurs 3 times"));
	assert_false(file_exists(path("kwnone.pdf")));
	assert_int_equal(run("ls %s | grep -c tmp >/dev/null", dir) == 0, 0);
}

static void cross_page_strips_sit_at_right_edges(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_B);
	es_pdf_sign_result res;
	es_err err = ES_ERR_INIT;
	double pw, ph;

	(void)state;
	o.cross_page = 1;
	o.y_mm = 100;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("cross.pdf"), &o, &res, &err), 0);
	assert_int_equal(es_pdf_page_size_mm(&pw, &ph, path("plain.pdf"), 1, &err), 0);
	assert_int_equal(res.nplacements, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(res.placements[i].page, i + 1);
		assert_true(res.placements[i].w_mm > SEAL_MM / 2 - 0.1 && res.placements[i].w_mm < SEAL_MM / 2 + 0.1);
		assert_true(res.placements[i].x_mm + res.placements[i].w_mm > pw - 0.1);
	}
	/* left half on page 1, right half on page 2: both red near the edge at mid-height */
	assert_true(red_at(path("cross.pdf"), 1, pw - 3, 100));
	assert_true(red_at(path("cross.pdf"), 2, pw - SEAL_MM / 2 + 3, 100));
	assert_false(red_at(path("cross.pdf"), 1, pw - SEAL_MM / 2 - 3, 100));
	check_pdfsig(path("cross.pdf"), 2); /* poppler lists the field once per widget */
	check_qpdf(path("cross.pdf"));
}

static void rotated_page_seal_is_upright_where_asked(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_B);
	es_pdf_sign_result res;
	es_err err = ES_ERR_INIT;
	double pw, ph;

	(void)state;
	assert_int_equal(es_pdf_page_size_mm(&pw, &ph, path("rot.pdf"), 1, &err), 0);
	assert_true(pw > 296 && pw < 298); /* landscape as displayed */
	o.x_mm = 200;
	o.y_mm = 60;
	assert_int_equal(es_pdf_sign(path("rot.pdf"), path("rotsig.pdf"), &o, &res, &err), 0);
	assert_true(red_at(path("rotsig.pdf"), 1, 200, 60));
	assert_true(red_at(path("rotsig.pdf"), 1, 200, 60 - SEAL_MM / 2 + 1));
	assert_false(red_at(path("rotsig.pdf"), 1, 200, 60 + SEAL_MM / 2 - 1));
	assert_false(red_at(path("rotsig.pdf"), 1, 200 - SEAL_MM / 2 + 1, 60));
	check_pdfsig(path("rotsig.pdf"), 1);
	check_qpdf(path("rotsig.pdf"));
}

static void cropbox_and_userunit_are_honoured(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_B);
	es_err err = ES_ERR_INIT;
	double pw, ph;

	(void)state;
	assert_int_equal(es_pdf_page_size_mm(&pw, &ph, path("crop.pdf"), 1, &err), 0);
	assert_true(pw > 70.4 && pw < 70.7 && ph > 105.7 && ph < 106);
	o.x_mm = 30;
	o.y_mm = 40;
	assert_int_equal(es_pdf_sign(path("crop.pdf"), path("crop-s.pdf"), &o, NULL, &err), 0);
	assert_true(red_at(path("crop-s.pdf"), 1, 30, 40));
	assert_true(red_at(path("crop-s.pdf"), 1, 30, 40 - SEAL_MM / 2 + 1));
	assert_false(red_at(path("crop-s.pdf"), 1, 30, 40 + SEAL_MM / 2 - 1));
	check_pdfsig(path("crop-s.pdf"), 1);
	check_qpdf(path("crop-s.pdf"));

	/* UserUnit 2: 300 x 420 units are 600 x 840 pt on paper */
	assert_int_equal(es_pdf_page_size_mm(&pw, &ph, path("userunit.pdf"), 1, &err), 0);
	assert_true(pw > 211.5 && pw < 211.8);
	o.x_mm = 100;
	o.y_mm = 150;
	assert_int_equal(es_pdf_sign(path("userunit.pdf"), path("uu-s.pdf"), &o, NULL, &err), 0);
	assert_true(red_at_mupdf(path("uu-s.pdf"), 100, 150));
	assert_true(red_at_mupdf(path("uu-s.pdf"), 100, 150 - SEAL_MM / 2 + 1));
	assert_false(red_at_mupdf(path("uu-s.pdf"), 100, 150 + SEAL_MM / 2 - 1));
	assert_false(red_at_mupdf(path("uu-s.pdf"), 100 + SEAL_MM / 2 + 2, 150));
	check_pdfsig(path("uu-s.pdf"), 1);
}

static void xref_stream_and_linearized_inputs_sign(void **state)
{
	const char *ins[] = {"objstm.pdf", "lin.pdf"};
	es_err err = ES_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		es_pdf_sign_opts o = opts(ES_PADES_B_T);
		char out[64];
		snprintf(out, sizeof(out), "s-%s", ins[i]);
		assert_int_equal(es_pdf_sign(path(ins[i]), path(out), &o, NULL, &err), 0);
		check_pdfsig(path(out), 1);
		check_qpdf(path(out));
		check_openssl_verify(path(out), 1);
		assert_true(red_at(path(out), 1, 100, 150));
		o.x_mm = 50;
		assert_int_equal(es_pdf_sign(path(out), path(out), &o, NULL, &err), 0);
		check_pdfsig(path(out), 2);
		check_qpdf(path(out));
	}
}

static void thousand_pages_and_form_inputs_sign(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_T);
	es_pdf_sign_result res;
	es_err err = ES_ERR_INIT;
	char *out;
	int n;

	(void)state;
	o.page = ES_PDF_PAGE_LAST;
	assert_int_equal(es_pdf_sign(path("big.pdf"), path("big-s.pdf"), &o, &res, &err), 0);
	assert_int_equal(res.placements[0].page, 1000);
	assert_int_equal(es_pdf_page_count(&n, path("big-s.pdf"), &err), 0);
	assert_int_equal(n, 1000);
	check_pdfsig(path("big-s.pdf"), 1);
	check_qpdf(path("big-s.pdf"));
	assert_true(red_at(path("big-s.pdf"), 1000, 100, 150));
	o.page = ES_PDF_PAGE_ALL;
	assert_int_equal(es_pdf_sign(path("big.pdf"), path("x.pdf"), &o, NULL, &err), ES_ERANGE);
	o.page = 1;
	o.cross_page = 1;
	assert_int_equal(es_pdf_sign(path("big.pdf"), path("x.pdf"), &o, NULL, &err), ES_ERANGE);
	assert_false(file_exists(path("x.pdf")));

	/* indirect /AcroForm with a text field (PDF 2.0): field kept, ours appended */
	o.cross_page = 0;
	assert_int_equal(es_pdf_sign(path("form.pdf"), path("form-s.pdf"), &o, NULL, &err), 0);
	o.x_mm = 40;
	assert_int_equal(es_pdf_sign(path("form-s.pdf"), path("form-s.pdf"), &o, NULL, &err), 0);
	check_pdfsig(path("form-s.pdf"), 2);
	check_qpdf(path("form-s.pdf"));
	out = capture("cd %s && qpdf --show-object=5 form-s.pdf", dir);
	assert_non_null(strstr(out, "/Fields [ 6 0 R"));
	assert_non_null(strstr(out, "/SigFlags 3"));
	assert_non_null(strstr(out, "/DA"));
}

static void page_copy_keeps_every_value_exactly(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_B);
	es_err err = ES_ERR_INIT;
	char before[4096];
	char *objs[5] = {
		"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.27559055 841.88976378] /Rotate 0 "
		"/Foo 123456789.123 /Bar 0.000012345 /Baz -0.5 /S (\\(a\\)\\\\ \\222) /N /A#20B "
		"/Contents 4 0 R /Resources << >> /Annots 5 0 R >>",
		(char *)blue_square, "[ ]"};
	char *out;

	(void)state;
	write_objs(path("reals.pdf"), "1.7", objs, 5);
	snprintf(before, sizeof(before), "%s", capture("cd %s && qpdf --show-object=3 reals.pdf", dir));
	assert_int_equal(es_pdf_sign(path("reals.pdf"), path("reals-s.pdf"), &o, NULL, &err), 0);
	{
		const char *after = capture("cd %s && qpdf --show-object=3 reals-s.pdf", dir);
		const char *keys[] = {"/MediaBox [ 0 0 595.27559055 841.88976378 ]", "/Foo 123456789.123",
				      "/Bar 0.000012345", "/Baz -0.5", "/N /A#20B", "/Annots"};
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strstr(after, keys[i]))
				fail_msg("page copy lost %s:\nbefore: %s\nafter: %s", keys[i], before, after);
	}
	check_pdfsig(path("reals-s.pdf"), 1);
	/* indirect /Annots: that array is updated, the page object is not redefined */
	out = capture("cd %s && qpdf --show-object=5 reals-s.pdf; grep -a -c '^3 0 obj' reals-s.pdf", dir);
	assert_non_null(strstr(out, "[ 7 0 R ]")); /* 6 is the signature, 7 the widget */
	assert_non_null(strstr(out, "\n1\n"));
}

static void signing_leaves_the_rest_of_the_page_alone(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_B);
	es_err err = ES_ERR_INIT;
	unsigned char *a, *b;
	size_t la, lb;

	(void)state;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("same.pdf"), &o, NULL, &err), 0);
	assert_int_equal(run("pdftoppm -r %d -f 2 -l 2 -singlefile %s %s", DPI, path("plain.pdf"), path("before")), 0);
	assert_int_equal(run("pdftoppm -r %d -f 2 -l 2 -singlefile %s %s", DPI, path("same.pdf"), path("after")), 0);
	a = slurp(path("before.ppm"), &la);
	b = slurp(path("after.ppm"), &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	/* page 1: identical outside the seal box (rows above it) */
	assert_int_equal(run("pdftoppm -r %d -f 1 -l 1 -singlefile %s %s", DPI, path("plain.pdf"), path("before")), 0);
	assert_int_equal(run("pdftoppm -r %d -f 1 -l 1 -singlefile %s %s", DPI, path("same.pdf"), path("after")), 0);
	a = slurp(path("before.ppm"), &la);
	b = slurp(path("after.ppm"), &lb);
	assert_int_equal(la, lb);
	{
		size_t rows = (size_t)((150 - SEAL_MM / 2 - 1) / 25.4 * DPI), w = (size_t)(210 / 25.4 * DPI);
		assert_memory_equal(a, b, rows * w * 3);
	}
	free(a);
	free(b);
}

static void encrypted_and_broken_inputs_are_refused(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_B);
	es_err err = ES_ERR_INIT;
	int rc;

	(void)state;
	assert_int_equal(es_pdf_sign(path("enc.pdf"), path("x.pdf"), &o, NULL, &err), ES_ENOTSUP);
	assert_non_null(strstr(err.msg, "qpdf --decrypt"));
	assert_int_equal(es_pdf_sign(path("notpdf.pdf"), path("x.pdf"), &o, NULL, &err), ES_EFORMAT);
	rc = es_pdf_sign(path("trunc.pdf"), path("x.pdf"), &o, NULL, &err);
	assert_true(rc == ES_EPDF || rc == ES_EFORMAT);
	assert_int_equal(es_pdf_sign(path("missing.pdf"), path("x.pdf"), &o, NULL, &err), ES_EIO);
	o.page = 9;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("x.pdf"), &o, NULL, &err), ES_EINVAL);
	o.page = 1;
	o.tsa = NULL;
	o.level = ES_PADES_B_T;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("x.pdf"), &o, NULL, &err), ES_EINVAL);
	assert_false(file_exists(path("x.pdf")));
}

static void certify_first_then_approval(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_T);
	es_err err = ES_ERR_INIT;
	char *out;

	(void)state;
	o.certify = 2;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("cert.pdf"), &o, NULL, &err), 0);
	check_pdfsig(path("cert.pdf"), 1);
	out = capture("grep -a -c '/TransformMethod /DocMDP' %s", path("cert.pdf"));
	assert_int_equal(atoi(out), 1);
	/* a second certification is refused, an approval is fine */
	assert_int_equal(es_pdf_sign(path("cert.pdf"), path("cert2.pdf"), &o, NULL, &err), ES_ESTATE);
	o.certify = 0;
	o.x_mm = 50;
	assert_int_equal(es_pdf_sign(path("cert.pdf"), path("cert2.pdf"), &o, NULL, &err), 0);
	check_pdfsig(path("cert2.pdf"), 2);
	check_qpdf(path("cert2.pdf"));
	/* P=1 forbids any further signature */
	o.certify = 1;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("cert1.pdf"), &o, NULL, &err), 0);
	o.certify = 0;
	assert_int_equal(es_pdf_sign(path("cert1.pdf"), path("x.pdf"), &o, NULL, &err), ES_EPERM);
}

static void lt_adds_dss_and_lta_adds_doc_timestamp(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_LT);
	es_err err = ES_ERR_INIT;
	const unsigned char *crls[1];
	size_t crl_lens[1];
	unsigned char *crl = NULL, *data;
	X509_CRL *c = X509_CRL_new();
	size_t len;
	int n;

	(void)state;
	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(ca));
	{
		ASN1_TIME *t = ASN1_TIME_new();
		X509_gmtime_adj(t, 0);
		X509_CRL_set1_lastUpdate(c, t);
		X509_gmtime_adj(t, 86400);
		X509_CRL_set1_nextUpdate(c, t);
		ASN1_TIME_free(t);
	}
	X509_CRL_sign(c, ca_key, EVP_sha256());
	n = i2d_X509_CRL(c, &crl);
	assert_true(n > 0);
	crls[0] = crl;
	crl_lens[0] = (size_t)n;
	o.crls = crls;
	o.crl_lens = crl_lens;
	o.ncrls = 1;
	o.dss_certs = tsa_chain;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("lt.pdf"), &o, NULL, &err), 0);
	check_qpdf(path("lt.pdf"));
	check_openssl_verify(path("lt.pdf"), 1);
	data = slurp(path("lt.pdf"), &len);
	assert_non_null(memmem(data, len, "/DSS", 4));
	assert_non_null(memmem(data, len, "/VRI", 4));
	assert_non_null(memmem(data, len, "/CRLs [", 7));
	{
		/* VRI key: upper-case hex SHA-1 of the whole /Contents string's bytes */
		const char *br = memmem(data, len, "/ByteRange [0 ", 14);
		long long a = 0, b = 0;
		unsigned char *bytes, sha[20];
		char key[48];
		size_t nb;
		assert_non_null(br);
		assert_int_equal(sscanf(br + 14, "%lld %lld", &a, &b), 2);
		nb = (size_t)(b - a - 2) / 2;
		bytes = malloc(nb);
		for (size_t i = 0; i < nb; i++) {
			unsigned v;
			sscanf((const char *)data + a + 1 + 2 * i, "%2x", &v);
			bytes[i] = (unsigned char)v;
		}
		SHA1(bytes, nb, sha);
		key[0] = '/';
		for (int i = 0; i < 20; i++)
			snprintf(key + 1 + 2 * i, 3, "%02X", sha[i]);
		assert_non_null(memmem(data, len, key, 41));
		free(bytes);
	}
	free(data);
	/* the signature no longer covers the DSS update; pdfsig still says valid */
	assert_int_equal(count_of(capture("pdfsig %s 2>&1", path("lt.pdf")), "Signature is Valid"), 1);

	o.level = ES_PADES_B_LTA;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("lta.pdf"), &o, NULL, &err), 0);
	check_qpdf(path("lta.pdf"));
	check_openssl_verify(path("lta.pdf"), 1);
	data = slurp(path("lta.pdf"), &len);
	assert_non_null(memmem(data, len, "/SubFilter /ETSI.RFC3161", 24));
	free(data);
	{
		char *out = capture("pdfsig %s 2>&1", path("lta.pdf"));
		char *last = strstr(out, "Signature #2");
		if (!last || !strstr(last, "Total document signed"))
			fail_msg("pdfsig lta:\n%s", out);
	}
	/* the document timestamp token covers its own ByteRange */
	CMS_ContentInfo_free(check_cms(path("lta.pdf"), 2));
	assert_int_equal(run("openssl ts -verify -data %s -in %s -token_in -CAfile %s >/dev/null 2>&1",
			     path("content.bin"), path("cms.der"), path("root.pem")), 0);
	OPENSSL_free(crl);
	X509_CRL_free(c);
}

/* SHA-256 (lower-case hex) of a file, computed here independently. */
static void file_sha256(const char *file, char hex[65])
{
	size_t len;
	unsigned char *b = slurp(file, &len), md[32];

	SHA256(b, len, md);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	free(b);
}

static void tsa_reserve_sizes_contents_without_a_dry_run_stamp(void **state)
{
	es_pdf_sign_opts o = opts(ES_PADES_B_T);
	es_pdf_sign_result res;
	es_err err = ES_ERR_INIT;
	size_t bound = 0;
	int calls;

	(void)state;
	/* the test TSA builds tokens like es_tsa_stamp's P-256 TSA */
	assert_int_equal(es_tsa_token_max_len(&bound, tsa, tsa_chain, &err), 0);
	calls = tsa_calls;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("dry.pdf"), &o, &res, &err), 0);
	assert_int_equal(tsa_calls - calls, 2); /* dry run + the stamp */
	o.tsa_reserve = bound;
	calls = tsa_calls;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("res.pdf"), &o, &res, &err), 0);
	assert_int_equal(tsa_calls - calls, 1);
	assert_true(res.contents_reserved >= res.cms_len);
	assert_true(res.contents_reserved < res.cms_len + 1024);
	check_pdfsig(path("res.pdf"), 1);
	check_qpdf(path("res.pdf"));
	check_openssl_verify(path("res.pdf"), 1);
	/* an underestimate costs one more stamp, not the signature */
	o.tsa_reserve = 1;
	calls = tsa_calls;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("under.pdf"), &o, &res, &err), 0);
	assert_int_equal(tsa_calls - calls, 2);
	check_pdfsig(path("under.pdf"), 1);
	check_openssl_verify(path("under.pdf"), 1);
	/* B-LTA: the document timestamp is sized by the bound too */
	o.tsa_reserve = bound;
	o.level = ES_PADES_B_LTA;
	o.dss_certs = tsa_chain;
	calls = tsa_calls;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("res-lta.pdf"), &o, &res, &err), 0);
	assert_int_equal(tsa_calls - calls, 2);
	check_qpdf(path("res-lta.pdf"));
	check_openssl_verify(path("res-lta.pdf"), 1);
	CMS_ContentInfo_free(check_cms(path("res-lta.pdf"), 2));
	assert_int_equal(run("openssl ts -verify -data %s -in %s -token_in -CAfile %s >/dev/null 2>&1",
			     path("content.bin"), path("cms.der"), path("root.pem")), 0);
	/* B-B never asks the TSA */
	o = opts(ES_PADES_B_B);
	calls = tsa_calls;
	assert_int_equal(es_pdf_sign(path("plain.pdf"), path("bb2.pdf"), &o, &res, &err), 0);
	assert_int_equal(tsa_calls, calls);
}

/* One page and 3 MB of an unused stream: large enough for the kernel copy
 * and the hashing thread of es_pdf_sign (from 1 MiB). */
static void write_large(const char *file)
{
	const size_t data = 3 * 1024 * 1024;
	char *big = malloc(data + 128), *objs[5];
	size_t k, h;

	assert_non_null(big);
	h = (size_t)snprintf(big, 64, "<< /Length %zu >>\nstream\n", data);
	for (k = 0; k < data; k++)
		big[h + k] = (char)('a' + k % 26);
	memcpy(big + h + data, "\nendstream", sizeof("\nendstream"));
	objs[0] = "<< /Type /Catalog /Pages 2 0 R >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 420] /Contents 4 0 R /Resources << >> >>";
	objs[3] = (char *)blue_square;
	objs[4] = big;
	write_objs(file, "1.7", objs, 5);
	free(big);
}

static void result_reports_input_and_output_sha256(void **state)
{
	const char *inputs[] = {"plain.pdf", "big.pdf", "objstm.pdf", "large.pdf"};
	es_pades_level levels[] = {ES_PADES_B_B, ES_PADES_B_T, ES_PADES_B_LTA, ES_PADES_B_T};
	es_pdf_sign_result res;
	es_err err = ES_ERR_INIT;
	char want[65];

	(void)state;
	write_large(path("large.pdf"));
	for (size_t i = 0; i < 4; i++) {
		es_pdf_sign_opts o = opts(levels[i]);
		o.page = ES_PDF_PAGE_LAST;
		o.dss_certs = tsa_chain;
		assert_int_equal(run("cp %s %s", path(inputs[i]), path("sha-in.pdf")), 0);
		file_sha256(path("sha-in.pdf"), want);
		assert_int_equal(es_pdf_sign(path("sha-in.pdf"), path("sha-out.pdf"), &o, &res, &err), 0);
		assert_string_equal(res.in_sha256, want);
		file_sha256(path("sha-out.pdf"), want);
		assert_string_equal(res.out_sha256, want);
		check_qpdf(path("sha-out.pdf"));
		/* in place: the input digest is of the bytes before signing */
		file_sha256(path("sha-out.pdf"), want);
		assert_int_equal(es_pdf_sign(path("sha-out.pdf"), path("sha-out.pdf"), &o, &res, &err), 0);
		assert_string_equal(res.in_sha256, want);
		file_sha256(path("sha-out.pdf"), want);
		assert_string_equal(res.out_sha256, want);
	}
	/* from another file system (tmpfs, when there is one): where the kernel
	 * cannot copy between them the input is read and hashed on the way;
	 * either way the digests and the signature are those of the bytes */
	if (access("/dev/shm", W_OK) == 0) {
		char shm[64];
		es_pdf_sign_opts o = opts(ES_PADES_B_T);

		snprintf(shm, sizeof(shm), "/dev/shm/eseal-test-%ld.pdf", (long)getpid());
		assert_int_equal(run("cp %s %s", path("large.pdf"), shm), 0);
		file_sha256(shm, want);
		assert_int_equal(es_pdf_sign(shm, path("sha-shm.pdf"), &o, &res, &err), 0);
		unlink(shm);
		assert_string_equal(res.in_sha256, want);
		file_sha256(path("sha-shm.pdf"), want);
		assert_string_equal(res.out_sha256, want);
		check_pdfsig(path("sha-shm.pdf"), 1);
	}
}

static void page_helpers_report_size_count_and_render(void **state)
{
	es_err err = ES_ERR_INIT;
	unsigned char *png = NULL;
	size_t len = 0;
	double w, h;
	int n;

	(void)state;
	assert_int_equal(es_pdf_page_count(&n, path("plain.pdf"), &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(es_pdf_page_size_mm(&w, &h, path("plain.pdf"), 1, &err), 0);
	assert_true(w > 209.8 && w < 210.2 && h > 296.8 && h < 297.2);
	assert_int_equal(es_pdf_page_size_mm(&w, &h, path("plain.pdf"), 3, &err), ES_EINVAL);
	assert_int_equal(es_pdf_render_page(&png, &len, path("plain.pdf"), 1, 30, &err), 0);
	assert_true(len > 8 && memcmp(png, "\x89PNG", 4) == 0);
	free(png);
	assert_int_equal(es_pdf_page_count(&n, path("enc.pdf"), &err), ES_ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bb_visible_seal_passes_pdfsig_qpdf_openssl),
		cmocka_unit_test(bt_has_tst_and_pades_attributes),
		cmocka_unit_test(resign_keeps_earlier_signature_valid),
		cmocka_unit_test(keyword_chinese_centres_seal_on_text),
		cmocka_unit_test(keyword_absent_fails_and_writes_nothing),
		cmocka_unit_test(cross_page_strips_sit_at_right_edges),
		cmocka_unit_test(rotated_page_seal_is_upright_where_asked),
		cmocka_unit_test(cropbox_and_userunit_are_honoured),
		cmocka_unit_test(xref_stream_and_linearized_inputs_sign),
		cmocka_unit_test(thousand_pages_and_form_inputs_sign),
		cmocka_unit_test(page_copy_keeps_every_value_exactly),
		cmocka_unit_test(signing_leaves_the_rest_of_the_page_alone),
		cmocka_unit_test(encrypted_and_broken_inputs_are_refused),
		cmocka_unit_test(certify_first_then_approval),
		cmocka_unit_test(lt_adds_dss_and_lta_adds_doc_timestamp),
		cmocka_unit_test(tsa_reserve_sizes_contents_without_a_dry_run_stamp),
		cmocka_unit_test(result_reports_input_and_output_sha256),
		cmocka_unit_test(page_helpers_report_size_count_and_render),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
