/* A fully trusted chain: own root → seal maker, holder and TSA; sealing with
 * a timestamp gives TOTAL_PASSED and a "timestamp" time source.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "ofd_test.h"
#include "eseal/pki.h"

typedef struct pki {
	EVP_PKEY *root_key, *maker_key, *holder_key, *tsa_key;
	X509 *root, *maker, *holder, *tsa;
} pki;

static X509 *issue(es_cert_kind kind, EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey)
{
	es_cert_req req;
	X509 *c = NULL;
	es_err err = ES_ERR_INIT;

	memset(&req, 0, sizeof(req));
	req.kind = kind;
	req.subject_key = key;
	req.cn = cn;
	req.o = "eseal test";
	req.days = 30;
	if (es_cert_issue(&c, &req, issuer, ikey, &err) < 0)
		printf("issue %s: %s\n", cn, err.msg);
	return c;
}

static int tsa_cb(void *ctx, const unsigned char *digest, size_t dlen, int md_nid, unsigned char **token,
		  size_t *len, es_err *err)
{
	pki *k = ctx;

	return es_tsa_stamp(token, len, digest, dlen, md_nid, k->tsa, k->tsa_key, NULL, err);
}

static STACK_OF(X509_CRL) *crl_of(pki *k, const char *serial, time_t when)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	es_revoked rev = {serial, when, 1};
	STACK_OF(X509_CRL) *st = sk_X509_CRL_new_null();
	X509_CRL *crl;

	assert_int_equal(es_crl_make(&der, &len, k->root, k->root_key, serial ? &rev : NULL, serial ? 1 : 0, 7, NULL), 0);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(crl);
	sk_X509_CRL_push(st, crl);
	free(der);
	return st;
}

static es_verdict verify_with(es_report *r, const char *path, STACK_OF(X509) *anchors, STACK_OF(X509_CRL) *crls)
{
	es_verify_opts vo = ES_VERIFY_OPTS_INIT;

	vo.anchors = anchors;
	vo.crls = crls;
	memset(r, 0, sizeof(*r));
	assert_int_equal(es_ofd_verify(r, path, &vo, NULL), 0);
	t_dump(r);
	return r->verdict;
}

static void trusted_timestamped_seal_passes(void **state)
{
	pki k;
	char dir[] = "/tmp/es-ofd-trust-XXXXXX", in[96], out[96];
	size_t vlen = 0, plen = 0, slen = 0;
	unsigned char *v4 = t_read(VEC "ofdrw-UserV4.esl", &vlen), *seal = NULL;
	es_seal *ref = NULL;
	es_seal_info info;
	X509 *certs[1];
	time_t now = time(NULL);
	es_ofd_sign_opts o = ES_OFD_SIGN_OPTS_INIT;
	STACK_OF(X509) *anchors = sk_X509_new_null();
	es_err err = ES_ERR_INIT;
	es_report r;

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(es_key_generate(&k.root_key, ES_ALG_SM2, NULL), 0);
	assert_int_equal(es_key_generate(&k.maker_key, ES_ALG_SM2, NULL), 0);
	assert_int_equal(es_key_generate(&k.holder_key, ES_ALG_SM2, NULL), 0);
	assert_int_equal(es_key_generate(&k.tsa_key, ES_ALG_SM2, NULL), 0);
	assert_non_null(k.root = issue(ES_CERT_ROOT_CA, k.root_key, "Test Root", NULL, NULL));
	assert_non_null(k.maker = issue(ES_CERT_SEAL_MAKER, k.maker_key, "Test Maker", k.root, k.root_key));
	assert_non_null(k.holder = issue(ES_CERT_HOLDER, k.holder_key, "Test Holder", k.root, k.root_key));
	assert_non_null(k.tsa = issue(ES_CERT_TSA, k.tsa_key, "Test TSA", k.root, k.root_key));
	assert_int_equal(es_seal_parse(&ref, v4, vlen, NULL), 0);
	memset(&info, 0, sizeof(info));
	certs[0] = k.holder;
	info.vid = "eseal";
	info.esid = "3301000000001";
	info.type = 1;
	info.name = "测试有限公司合同专用章";
	info.certs = certs;
	info.ncerts = 1;
	info.create_date = info.valid_start = now - 3600;
	info.valid_end = now + 86400;
	info.picture_type = "PNG";
	info.picture = es_seal_picture(ref, &plen);
	info.picture_len = plen;
	info.width_mm = info.height_mm = 40;
	assert_int_equal(es_seal_make_v4(&seal, &slen, &info, k.maker, k.maker_key, &err), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/p.ofd", dir);
	snprintf(out, sizeof(out), "%s/s.ofd", dir);
	assert_int_equal(es_ofd_make_sample(in, 1, NULL, NULL), 0);
	o.seal = seal;
	o.seal_len = slen;
	o.key = k.holder_key;
	o.cert = k.holder;
	o.tsa = tsa_cb;
	o.tsa_ctx = &k;
	o.x_mm = 150;
	o.y_mm = 250;
	assert_int_equal(es_ofd_sign(in, out, &o, NULL, &err), 0);
	sk_X509_push(anchors, k.root);
	{
		char serial[64];
		STACK_OF(X509_CRL) *good = crl_of(&k, NULL, 0), *late, *early;

		es_cert_serial_hex(k.holder, serial, sizeof(serial));
		late = crl_of(&k, serial, now + 600);
		early = crl_of(&k, serial, now - 600);
		assert_int_equal(verify_with(&r, out, anchors, good), ES_TOTAL_PASSED);
		assert_int_equal(r.nsigs, 1);
		assert_string_equal(r.sigs[0].time_source, "timestamp");
		assert_string_equal(r.sigs[0].revocation, "good");
		assert_true(t_has_code(&r, 0, "TIMESTAMP_VALID"));
		assert_int_equal(r.sigs[0].chain_trusted, 1);
		es_report_clear(&r);
		/* no CRL: trusted but revocation unknown */
		assert_int_equal(verify_with(&r, out, anchors, NULL), ES_INDETERMINATE);
		assert_true(t_has_code(&r, 0, "REVOCATION_UNKNOWN"));
		es_report_clear(&r);
		/* revoked after the timestamp: still valid; before it: failed */
		assert_int_equal(verify_with(&r, out, anchors, late), ES_TOTAL_PASSED);
		assert_true(t_has_code(&r, 0, "CERT_REVOKED_AFTER_SIGNING"));
		es_report_clear(&r);
		assert_int_equal(verify_with(&r, out, anchors, early), ES_TOTAL_FAILED);
		assert_true(t_has_code(&r, 0, "CERT_REVOKED"));
		es_report_clear(&r);
		/* without the anchor: intact but INDETERMINATE */
		assert_int_equal(verify_with(&r, out, NULL, good), ES_INDETERMINATE);
		es_report_clear(&r);
		sk_X509_CRL_pop_free(good, X509_CRL_free);
		sk_X509_CRL_pop_free(late, X509_CRL_free);
		sk_X509_CRL_pop_free(early, X509_CRL_free);
	}
	sk_X509_free(anchors);
	snprintf(in, sizeof(in), "rm -rf %s", dir);
	assert_int_equal(system(in), 0);
	free(seal);
	free(v4);
	es_seal_free(ref);
	EVP_PKEY_free(k.root_key);
	EVP_PKEY_free(k.maker_key);
	EVP_PKEY_free(k.holder_key);
	EVP_PKEY_free(k.tsa_key);
	X509_free(k.root);
	X509_free(k.maker);
	X509_free(k.holder);
	X509_free(k.tsa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trusted_timestamped_seal_passes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
