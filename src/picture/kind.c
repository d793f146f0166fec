/* Seal kinds: API names and Chinese labels.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include "eseal/picture.h"
#include "util/util.h"

static const struct {
	es_seal_kind kind;
	const char *name;
	const char *label_zh;
} kinds[] = {
	{ES_KIND_COMPANY, "company", "公章"},
	{ES_KIND_CONTRACT, "contract", "合同专用章"},
	{ES_KIND_FINANCE, "finance", "财务专用章"},
	{ES_KIND_INVOICE, "invoice", "发票专用章"},
	{ES_KIND_LEGAL_REP, "legal-rep", "法定代表人章"},
	{ES_KIND_PERSONAL, "personal", "个人名章"},
};

const char *es_seal_kind_name(es_seal_kind k)
{
	for (size_t i = 0; i < ES_ARRAY_LEN(kinds); i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return NULL;
}

const char *es_seal_kind_label_zh(es_seal_kind k)
{
	for (size_t i = 0; i < ES_ARRAY_LEN(kinds); i++)
		if (kinds[i].kind == k)
			return kinds[i].label_zh;
	return NULL;
}

int es_seal_kind_parse(es_seal_kind *out, const char *name)
{
	if (name == NULL)
		return ES_EINVAL;
	for (size_t i = 0; i < ES_ARRAY_LEN(kinds); i++) {
		if (strcmp(kinds[i].name, name) == 0) {
			*out = kinds[i].kind;
			return 0;
		}
	}
	return ES_EINVAL;
}
