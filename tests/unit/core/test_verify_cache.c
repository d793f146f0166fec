/* The platform reuses its CRLs between verifications; a revocation made
 * meanwhile must still show at once.  SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "eseal/platform.h"
#include "eseal/report.h"
#include "eseal/store.h"
#include "core/core.h"

static void write_file(const char *path, const unsigned char *d, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, n, f), n);
	fclose(f);
}

static es_verdict verify(es_platform *p, const char *path, char *revocation, size_t cap)
{
	es_report r = {0};
	es_verdict v;

	assert_int_equal(es_verify_path(&r, p, path, NULL, NULL), 0);
	es_report_finish(&r);
	assert_true(r.nsigs >= 1);
	snprintf(revocation, cap, "%s", r.sigs[0].revocation);
	v = r.verdict;
	es_report_clear(&r);
	return v;
}

/* A platform in a new temporary directory with one company seal, and a
 * one-page PDF sealed with it. */
typedef struct sealed {
	char dir[32], data[64], out[80], code[32];
	es_platform *p;
} sealed;

static void make_sealed(sealed *f)
{
	const char *roles[] = {"seal-keeper"};
	char in[80];
	es_user_new u = {0};
	es_apply_req a = {0};
	es_sign_req s = ES_SIGN_REQ_INIT;
	es_sign_result res;
	unsigned char *pdf = NULL;
	size_t len = 0;
	int64_t org = 0, uid = 0, app = 0;
	es_err err = ES_ERR_INIT;

	setenv("ESEAL_ARGON2_M_KIB", "1024", 1);
	setenv("ESEAL_ARGON2_T", "1", 1);
	snprintf(f->dir, sizeof(f->dir), "/tmp/es-core-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->data, sizeof(f->data), "%s/d", f->dir);
	snprintf(in, sizeof(in), "%s/in.pdf", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.pdf", f->dir);
	assert_int_equal(es_platform_init(f->data, NULL, &err), 0);
	assert_int_equal(es_platform_open(&f->p, f->data, &err), 0);
	assert_int_equal(es_org_add(f->p, "测试有限公司", "91330106MA2B3C4D5D", NULL, NULL, &org, &err), 0);
	u.login = "keeper";
	u.name = "张三";
	u.id_number = "11010519491231002X";
	u.org_id = org;
	u.roles = roles;
	u.nroles = 1;
	u.password = "correct horse battery";
	assert_int_equal(es_user_add(f->p, &u, NULL, &uid, &err), 0);
	a.owner_kind = "org";
	a.owner_org_id = org;
	a.kind = "company";
	assert_int_equal(es_seal_apply(f->p, &a, &app, &err), 0);
	assert_int_equal(es_seal_review(f->p, app, 1, NULL, NULL, f->code, &err), 0);
	/* the seal's own one-page PDF is a fine document to seal */
	assert_int_equal(es_platform_seal_render(f->p, f->code, "pdf", &pdf, &len, &err), 0);
	write_file(in, pdf, len);
	free(pdf);
	s.seal_code = f->code;
	s.login = "keeper";
	s.password = "correct horse battery";
	s.in_path = in;
	s.out_path = f->out;
	s.x_mm = 20;
	s.y_mm = 20;
	assert_int_equal(es_sign_document(f->p, &s, &res, &err), 0);
}

static void drop_sealed(sealed *f)
{
	char cmd[64];

	es_platform_close(f->p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
}

static void revocation_shows_although_crls_are_cached(void **state)
{
	char rev[16];
	sealed f;
	es_platform *p;
	const char *out, *data, *code;
	es_err err = ES_ERR_INIT;

	(void)state;
	make_sealed(&f);
	p = f.p;
	out = f.out;
	data = f.data;
	code = f.code;
	assert_int_equal(verify(p, out, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_string_equal(rev, "good");
	assert_int_equal(verify(p, out, rev, sizeof(rev)), ES_TOTAL_PASSED); /* from the cache */
	/* Another process (a second platform object) reuses the CRL the first
	 * one kept in the store instead of signing a new one: the stored bytes
	 * (with their ECDSA signature, different at every signing) stay. */
	{
		es_platform *p2 = NULL;
		es_blob b1 = {0}, b2 = {0};

		assert_int_equal(es_store_meta_get(es_platform_store(p), "crl.p256.cache", &b1, &err), 0);
		assert_int_equal(es_platform_open(&p2, data, &err), 0);
		assert_int_equal(verify(p2, out, rev, sizeof(rev)), ES_TOTAL_PASSED);
		assert_string_equal(rev, "good");
		assert_int_equal(es_store_meta_get(es_platform_store(p2), "crl.p256.cache", &b2, &err), 0);
		assert_int_equal(b1.len, b2.len);
		assert_memory_equal(b1.data, b2.data, b1.len);
		/* a revocation by the first process shows in the second at once */
		assert_int_equal(es_seal_change_state(p, code, "revoke", "单位注销", NULL, &err), 0);
		verify(p2, out, rev, sizeof(rev));
		assert_string_equal(rev, "revoked");
		free(b1.data);
		free(b2.data);
		es_platform_close(p2);
	}
	verify(p, out, rev, sizeof(rev));
	assert_string_equal(rev, "revoked");
	drop_sealed(&f);
}

static es_verdict verify_in(const char *data, const char *path, char *revocation, size_t cap)
{
	es_report r = {0};
	es_verdict v;

	assert_int_equal(es_verify_path_in(&r, data, path, NULL, ES_VERIFY_MAP_INPUT, NULL), 0);
	es_report_finish(&r);
	assert_true(r.nsigs >= 1);
	snprintf(revocation, cap, "%s", r.sigs[0].revocation);
	v = r.verdict;
	es_report_clear(&r);
	return v;
}

/* Flip byte at of path in place (the same file, the same inode). */
static void poke(const char *path, long at, unsigned char x)
{
	FILE *f = fopen(path, "r+b");
	int c;

	assert_non_null(f);
	assert_int_equal(fseek(f, at, SEEK_SET), 0);
	c = fgetc(f);
	assert_true(c != EOF);
	assert_int_equal(fseek(f, at, SEEK_SET), 0);
	assert_int_equal(fputc(c ^ x, f), c ^ x);
	assert_int_equal(fclose(f), 0);
}

/* 1 when the data directory's trust file would be used for a PDF. */
static int cache_usable(const char *data)
{
	STACK_OF(X509) *a = sk_X509_new_null();
	STACK_OF(X509_CRL) *c = sk_X509_CRL_new_null();
	int used;

	assert_non_null(a);
	assert_non_null(c);
	used = es_trust_cache_read(data, 1u << es_fam_index(ES_ALG_P256), a, c);
	assert_int_equal(sk_X509_num(a) > 0, used);
	sk_X509_pop_free(a, X509_free);
	sk_X509_CRL_pop_free(c, X509_CRL_free);
	return used;
}

static int run_cp(const char *from, const char *to)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	return system(cmd);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Set the trust file's "made" time (8 bytes big-endian at offset 8) and
 * mend its hash. */
static void set_made(const char *path, uint64_t made)
{
	unsigned char b[8192];
	size_t n;
	int k;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	assert_true(n > 48 && n < sizeof(b));
	for (k = 0; k < 8; k++)
		b[8 + k] = (unsigned char)(made >> (56 - 8 * k));
	assert_int_equal(EVP_Digest(b, n - 32, b + n - 32, NULL, EVP_sha256(), NULL), 1);
	write_file(path, b, n);
}

/* Flip a byte of a file (a damaged copy). */
static void rewrite(const char *path, size_t at, unsigned char x)
{
	unsigned char b[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	assert_true(n > at && n < sizeof(b));
	b[at] ^= x;
	write_file(path, b, n);
}

/* `eseal verify` (es_verify_path_in) reads the anchors and CRLs from the
 * data directory's trust file; a change of the revocations removes it, and
 * a damaged or stale one is never used. */
static void trust_file_serves_until_revocations_change(void **state)
{
	char rev[16], db[96], moved[96], trust[96];
	sealed f;
	es_platform *p;
	es_store *st2 = NULL;
	const char *out, *data, *code;
	es_err err = ES_ERR_INIT;
	int fd;

	(void)state;
	make_sealed(&f);
	p = f.p;
	out = f.out;
	data = f.data;
	code = f.code;
	snprintf(db, sizeof(db), "%s/eseal.db", data);
	snprintf(moved, sizeof(moved), "%s/away.db", f.dir);
	snprintf(trust, sizeof(trust), "%s/eseal.db" ES_STORE_TRUST_SUFFIX, data);

	/* the first one-shot verification reads the store and writes the file */
	assert_false(exists(trust));
	assert_int_equal(verify_in(data, out, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_string_equal(rev, "good");
	assert_true(exists(trust));
	/* the next does not read the store: with its header spoilt in place
	 * (same file, so the trust file still names it) it still passes */
	poke(db, 0, 0xff);
	assert_int_equal(verify_in(data, out, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_string_equal(rev, "good");
	poke(db, 0, 0xff);
	/* what the file is read for (es_trust_cache_read) */
	assert_int_equal(cache_usable(data), 1);
	/* a damaged file is not used (and the next verification mends it) */
	rewrite(trust, 80, 0x01);
	assert_int_equal(cache_usable(data), 0);
	assert_int_equal(verify_in(data, out, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_int_equal(cache_usable(data), 1);
	/* older than the CRL cache time, or from the future (hash mended) */
	set_made(trust, (uint64_t)time(NULL) - 2 * 3600);
	assert_int_equal(cache_usable(data), 0);
	set_made(trust, (uint64_t)time(NULL) + 600);
	assert_int_equal(cache_usable(data), 0);
	set_made(trust, (uint64_t)time(NULL) - 60);
	assert_int_equal(cache_usable(data), 1);
	set_made(trust, (uint64_t)time(NULL) - 2 * 3600);
	assert_int_equal(verify_in(data, out, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_int_equal(cache_usable(data), 1);
	/* it belongs to the store it was made from: the same bytes under a new
	 * file (a store made anew in this directory) do not inherit it */
	{
		char copy[112];

		snprintf(copy, sizeof(copy), "%s.copy", db);
		assert_int_equal(link(db, moved), 0);
		assert_int_equal(run_cp(db, copy), 0);
		assert_int_equal(rename(copy, db), 0);
		assert_int_equal(cache_usable(data), 0);
		assert_int_equal(rename(moved, db), 0);
		assert_int_equal(cache_usable(data), 1);
	}
	assert_true(exists(trust));

	/* while a change of the revocations is under way the file is gone and
	 * no verifier may write it; after the commit it is gone again */
	assert_int_equal(es_store_open(&st2, db, 0, &err), 0);
	assert_int_equal(es_store_begin(es_platform_store(p), &err), 0);
	assert_int_equal(es_store_revocation_add(es_platform_store(p), "p256", "0102", 1, 0, &err), 0);
	assert_false(exists(trust));
	assert_int_equal(es_store_trust_lock_shared(st2), -1);
	es_store_rollback(es_platform_store(p));
	assert_true((fd = es_store_trust_lock_shared(st2)) >= 0);
	/* a writer that holds its lock too long (stopped) does not hold a
	 * change up: it goes on unlocked after about two seconds */
	assert_int_equal(verify_in(data, out, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_true(exists(trust));
	{
		time_t t0 = time(NULL);

		assert_int_equal(es_store_begin(es_platform_store(p), &err), 0);
		assert_int_equal(es_store_revocation_add(es_platform_store(p), "p256", "0103", 1, 0, &err), 0);
		assert_false(exists(trust));
		es_store_rollback(es_platform_store(p));
		assert_true(time(NULL) - t0 <= 5);
	}
	es_store_trust_unlock(fd);
	es_store_close(st2);

	/* a suspension shows in the next one-shot verification */
	assert_int_equal(verify_in(data, out, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_true(exists(trust));
	assert_int_equal(es_seal_change_state(p, code, "suspend", "保管人休假", NULL, &err), 0);
	assert_false(exists(trust));
	verify_in(data, out, rev, sizeof(rev));
	assert_string_equal(rev, "revoked");
	verify_in(data, out, rev, sizeof(rev));  /* from the new file */
	assert_string_equal(rev, "revoked");
	assert_int_equal(es_seal_change_state(p, code, "resume", "已交接", NULL, &err), 0);
	assert_int_equal(verify_in(data, out, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_string_equal(rev, "good");
	drop_sealed(&f);
}

/* Seal f->in (the fixture's input) with the seal into out. */
static void sign_again(sealed *f, const char *out)
{
	es_sign_req s = ES_SIGN_REQ_INIT;
	es_sign_result res;
	char in[80];
	es_err err = ES_ERR_INIT;

	snprintf(in, sizeof(in), "%s/in.pdf", f->dir);
	s.seal_code = f->code;
	s.login = "keeper";
	s.password = "correct horse battery";
	s.in_path = in;
	s.out_path = out;
	s.x_mm = 60;
	s.y_mm = 60;
	assert_int_equal(es_sign_document(f->p, &s, &res, &err), 0);
}

static size_t revocations(es_platform *p, const char *family)
{
	es_revocation_row *rows = NULL;
	size_t n = 0;

	assert_int_equal(es_store_revocation_list(es_platform_store(p), family, &rows, &n, NULL), 0);
	ES_ROWS_FREE(rows, n, es_revocation_row_clear);
	return n;
}

/* 续期: new keys and certificates under the same code; what was signed
 * before stays valid, and revoking the seal revokes every certificate it
 * ever had. */
static void renewal_keeps_earlier_signatures_and_revocation_covers_them(void **state)
{
	char rev[16], after[96];
	sealed f;
	es_seal_row before = {0}, now = {0};
	es_seal_cert_row *old = NULL;
	size_t n = 0;
	es_err err = ES_ERR_INIT;

	(void)state;
	make_sealed(&f);
	snprintf(after, sizeof(after), "%s/after.pdf", f.dir);
	assert_int_equal(es_store_seal_get(es_platform_store(f.p), f.code, &before, &err), 0);
	assert_int_equal(es_seal_renew(f.p, f.code, NULL, NULL, &err), ES_EINVAL);
	assert_int_equal(es_seal_renew(f.p, f.code, "有效期届满", "boss", &err), 0);
	assert_int_equal(es_store_seal_get(es_platform_store(f.p), f.code, &now, &err), 0);
	/* new certificates and keys, the same seal */
	assert_string_equal(now.code, before.code);
	assert_string_equal(now.name, before.name);
	assert_string_equal(now.state, "active");
	assert_true(now.p256_cert.len != before.p256_cert.len ||
		    memcmp(now.p256_cert.data, before.p256_cert.data, now.p256_cert.len) != 0);
	assert_true(now.sm2_cert.len != before.sm2_cert.len ||
		    memcmp(now.sm2_cert.data, before.sm2_cert.data, now.sm2_cert.len) != 0);
	assert_true(now.valid_end >= before.valid_end);
	assert_int_equal(es_store_seal_old_certs(es_platform_store(f.p), f.code, &old, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(old[1].cert.len, before.p256_cert.len);
	assert_memory_equal(old[1].cert.data, before.p256_cert.data, before.p256_cert.len);
	es_seal_cert_rows_free(old, n);
	/* signing goes on with the new key; the earlier signature stays valid */
	sign_again(&f, after);
	assert_int_equal(verify(f.p, after, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_int_equal(verify(f.p, f.out, rev, sizeof(rev)), ES_TOTAL_PASSED);
	assert_string_equal(rev, "good");
	/* revoking the seal puts all four certificates on the CRLs */
	assert_int_equal(es_seal_change_state(f.p, f.code, "revoke", "单位注销", NULL, &err), 0);
	assert_int_equal(revocations(f.p, "p256"), 2);
	assert_int_equal(revocations(f.p, "sm2"), 2);
	verify(f.p, f.out, rev, sizeof(rev));
	assert_string_equal(rev, "revoked");
	verify(f.p, after, rev, sizeof(rev));
	assert_string_equal(rev, "revoked");
	assert_int_equal(es_seal_renew(f.p, f.code, "再次续期", NULL, &err), ES_ESTATE);
	es_seal_row_clear(&before);
	es_seal_row_clear(&now);
	drop_sealed(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(revocation_shows_although_crls_are_cached),
		cmocka_unit_test(trust_file_serves_until_revocations_change),
		cmocka_unit_test(renewal_keeps_earlier_signatures_and_revocation_covers_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
