/* Verification report: findings → verdicts, JSON and text rendering.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "eseal/report.h"
#include "util.h"

const char *es_verdict_name(es_verdict v)
{
	switch (v) {
	case ES_TOTAL_PASSED: return "TOTAL_PASSED";
	case ES_TOTAL_FAILED: return "TOTAL_FAILED";
	case ES_INDETERMINATE: return "INDETERMINATE";
	default: return "UNREADABLE";
	}
}

int es_report_add_sig(es_report *r, es_sig_report **out, const char *kind, es_err *err)
{
	es_sig_report *p = realloc(r->sigs, (r->nsigs + 1) * sizeof(*p));

	if (p == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	r->sigs = p;
	p = &r->sigs[r->nsigs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->kind, sizeof(p->kind), "%s", kind);
	snprintf(p->revocation, sizeof(p->revocation), "not-checked");
	snprintf(p->time_source, sizeof(p->time_source), "none");
	*out = p;
	return 0;
}

int es_report_add(es_report *r, es_sig_report *sig, es_severity sev, const char *code,
		  const char *en, const char *zh, es_err *err)
{
	es_finding **list = sig ? &sig->findings : &r->findings;
	size_t *n = sig ? &sig->nfindings : &r->nfindings;
	es_finding *p = realloc(*list, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	*list = p;
	p = &p[(*n)++];
	memset(p, 0, sizeof(*p));
	p->severity = sev;
	snprintf(p->code, sizeof(p->code), "%s", code);
	snprintf(p->en, sizeof(p->en), "%s", en);
	snprintf(p->zh, sizeof(p->zh), "%s", zh ? zh : en);
	return 0;
}

/* Order of badness: FAILED > UNREADABLE > INDETERMINATE > PASSED. */
static int rank(es_verdict v)
{
	switch (v) {
	case ES_TOTAL_FAILED: return 3;
	case ES_UNREADABLE: return 2;
	case ES_INDETERMINATE: return 1;
	default: return 0;
	}
}

static es_verdict worse(es_verdict a, es_verdict b)
{
	return rank(a) >= rank(b) ? a : b;
}

static es_verdict from_findings(const es_finding *f, size_t n)
{
	es_verdict v = ES_TOTAL_PASSED;
	size_t i;

	for (i = 0; i < n; i++) {
		if (f[i].severity == ES_SEV_FAIL)
			v = worse(v, ES_TOTAL_FAILED);
		else if (f[i].severity == ES_SEV_INDET)
			v = worse(v, ES_INDETERMINATE);
	}
	return v;
}

void es_report_finish(es_report *r)
{
	es_verdict doc = from_findings(r->findings, r->nfindings);
	size_t i;

	r->verdict = r->nsigs == 0 && doc != ES_TOTAL_FAILED ? ES_UNREADABLE : doc;
	for (i = 0; i < r->nsigs; i++) {
		r->sigs[i].verdict = from_findings(r->sigs[i].findings, r->sigs[i].nfindings);
		r->verdict = worse(r->verdict, r->sigs[i].verdict);
	}
}

static const char *sev_name(es_severity s)
{
	return s == ES_SEV_FAIL ? "fail" : s == ES_SEV_INDET ? "indeterminate" : "info";
}

static json_t *findings_json(const es_finding *f, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "severity",
			sev_name(f[i].severity), "code", f[i].code, "en", f[i].en, "zh", f[i].zh));
	return a;
}

static json_t *sig_json(const es_sig_report *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "verdict", json_string(es_verdict_name(s->verdict)));
	json_object_set_new(o, "kind", json_string(s->kind));
	json_object_set_new(o, "field", json_string(s->field));
	json_object_set_new(o, "seal_name", json_string(s->seal_name));
	json_object_set_new(o, "seal_code", json_string(s->seal_code));
	json_object_set_new(o, "seal_maker", json_string(s->seal_maker));
	json_object_set_new(o, "signer", json_string(s->signer));
	json_object_set_new(o, "organisation", json_string(s->organisation));
	json_object_set_new(o, "signing_time", json_string(s->signing_time));
	json_object_set_new(o, "time_source", json_string(s->time_source));
	json_object_set_new(o, "level", json_string(s->level));
	json_object_set_new(o, "revocation", json_string(s->revocation));
	json_object_set_new(o, "valid_from", json_string(s->valid_from));
	json_object_set_new(o, "valid_to", json_string(s->valid_to));
	json_object_set_new(o, "integrity_ok", json_boolean(s->integrity_ok));
	json_object_set_new(o, "chain_trusted", json_boolean(s->chain_trusted));
	json_object_set_new(o, "covers_whole_document", json_boolean(s->covers_whole));
	if (s->page > 0)
		json_object_set_new(o, "picture", json_pack("{s:i,s:f,s:f,s:f,s:f}",
			"page", s->page, "x_mm", s->x_mm, "y_mm", s->y_mm,
			"w_mm", s->w_mm, "h_mm", s->h_mm));
	json_object_set_new(o, "findings", findings_json(s->findings, s->nfindings));
	return o;
}

int es_report_json(char **out, const es_report *r, es_err *err)
{
	json_t *root = json_object(), *sigs = json_array();
	size_t i;

	json_object_set_new(root, "report_version", json_integer(1));
	json_object_set_new(root, "verdict", json_string(es_verdict_name(r->verdict)));
	json_object_set_new(root, "exit_code", json_integer((int)r->verdict));
	json_object_set_new(root, "file_type", json_string(r->file_type));
	json_object_set_new(root, "file_sha256", json_string(r->file_sha256));
	for (i = 0; i < r->nsigs; i++)
		json_array_append_new(sigs, sig_json(&r->sigs[i]));
	json_object_set_new(root, "signatures", sigs);
	json_object_set_new(root, "findings", findings_json(r->findings, r->nfindings));
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(root);
	if (*out == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	return 0;
}

static const char *verdict_words(es_verdict v, int zh)
{
	switch (v) {
	case ES_TOTAL_PASSED: return zh ? "有效（完整且可信）" : "VALID (intact and trusted)";
	case ES_TOTAL_FAILED: return zh ? "无效（签名损坏或文档被篡改）" : "INVALID (broken signature or tampered)";
	case ES_INDETERMINATE: return zh ? "无法确认（完整，但信任链或吊销状态无法确认）" : "INDETERMINATE (intact, but trust or revocation cannot be confirmed)";
	default: return zh ? "无法验证（文件无法读取或没有签章）" : "UNREADABLE (cannot be read, or nothing is signed)";
	}
}

#define LABEL_COLUMNS 14

/* Terminal columns of UTF-8 text: CJK and other wide characters take two. */
static int display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int w = 0;

	for (; *p; p++) {
		if ((*p & 0xC0) == 0x80)
			continue;
		w += *p >= 0xE1 ? 2 : 1; /* lead bytes of U+1000 and above */
	}
	return w;
}

/* zh words for the few enumerated values of the report. */
static const char *value_zh(const char *v)
{
	static const char *const map[][2] = {
		{"timestamp", "可信时间戳"}, {"untrusted-timestamp", "不受信任的时间戳（未经证明）"},
		{"claimed", "签署者声明的时间"}, {"none", "无"},
		{"good", "未吊销"}, {"revoked", "已吊销"}, {"unknown", "未知"}, {"not-checked", "未检查"},
	};
	size_t i;

	for (i = 0; i < ES_ARRAY_LEN(map); i++)
		if (strcmp(v, map[i][0]) == 0)
			return map[i][1];
	return v;
}

static int add_line(es_buf *b, es_err *err, const char *label, const char *value, int zh)
{
	int pad;

	if (value == NULL || value[0] == '\0')
		return 0;
	pad = LABEL_COLUMNS - display_width(label);
	return es_buf_printf(b, err, "  %s%*s %s\n", label, pad > 0 ? pad : 0, "",
			     zh ? value_zh(value) : value);
}

static int findings_text(es_buf *b, const es_finding *f, size_t n, int zh, es_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = es_buf_printf(b, err, "    %s %s [%s]\n",
				   f[i].severity == ES_SEV_FAIL ? "✗" :
				   f[i].severity == ES_SEV_INDET ? "?" : "·",
				   zh ? f[i].zh : f[i].en, f[i].code);
	return rc;
}

int es_report_text(char **out, const es_report *r, const char *lang, es_err *err)
{
	es_buf b = {0};
	int zh = lang == NULL || strncmp(lang, "zh", 2) == 0;
	size_t i;
	int rc;

	rc = es_buf_printf(&b, err, "%s %s\n", zh ? "验证结果：" : "Result:",
			   verdict_words(r->verdict, zh));
	for (i = 0; i < r->nsigs && rc == 0; i++) {
		const es_sig_report *s = &r->sigs[i];
		char pos[96] = "";

		if (s->page > 0)
			snprintf(pos, sizeof(pos), zh ? "第 %d 页 (%.1f, %.1f) mm" : "page %d at (%.1f, %.1f) mm",
				 s->page, s->x_mm, s->y_mm);
		rc = es_buf_printf(&b, err, "%s %zu (%s): %s\n", zh ? "签名" : "Signature",
				   i + 1, s->kind, verdict_words(s->verdict, zh));
		if (rc == 0) rc = add_line(&b, err, zh ? "印章名称" : "Seal name", s->seal_name, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "印章编码" : "Seal code", s->seal_code, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "制章者" : "Seal maker", s->seal_maker, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "签署者" : "Signer", s->signer, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "单位" : "Organisation", s->organisation, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "签署时间" : "Signing time", s->signing_time, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "时间来源" : "Time source", s->time_source, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "级别" : "Level", s->level, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "有效期自" : "Valid from", s->valid_from, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "有效期至" : "Valid to", s->valid_to, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "吊销状态" : "Revocation", s->revocation, zh);
		if (rc == 0) rc = add_line(&b, err, zh ? "位置" : "Position", pos, zh);
		if (rc == 0)
			rc = findings_text(&b, s->findings, s->nfindings, zh, err);
	}
	if (rc == 0 && r->nfindings > 0) {
		rc = es_buf_printf(&b, err, "%s\n", zh ? "文档：" : "Document:");
		if (rc == 0)
			rc = findings_text(&b, r->findings, r->nfindings, zh, err);
	}
	if (rc < 0) {
		es_buf_free(&b, 0);
		return rc;
	}
	*out = (char *)b.data;
	return 0;
}

void es_report_clear(es_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nsigs; i++)
		free(r->sigs[i].findings);
	free(r->sigs);
	free(r->findings);
	memset(r, 0, sizeof(*r));
}
