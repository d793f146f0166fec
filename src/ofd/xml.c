/* libxml2 with every network and entity feature off: OFD parts are untrusted.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include "ofd_int.h"

/* No XML_PARSE_NOENT (entities stay unexpanded), no DTD loading, no network.
 * Any DOCTYPE is refused outright: OFD (GB/T 33190) parts never need one and it
 * is the carrier of XXE and "billion laughs". */
#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

static int has_doctype(const unsigned char *d, size_t len)
{
	static const char pat[] = "<!DOCTYPE";
	size_t i, n = sizeof(pat) - 1;

	for (i = 0; i + n <= len; i++)
		if (d[i] == '<' && d[i + 1] == '!' && strncasecmp((const char *)d + i, pat, n) == 0)
			return 1;
	for (i = 0; i + 8 <= len; i++)
		if (d[i] == '<' && d[i + 1] == '!' && memcmp(d + i, "<!ENTITY", 8) == 0)
			return 1;
	return 0;
}

static int depth_ok(const xmlNode *n, int depth)
{
	for (; n; n = n->next) {
		if (depth > OFD_MAX_XML_DEPTH)
			return 0;
		if (n->children && !depth_ok(n->children, depth + 1))
			return 0;
	}
	return 1;
}

int ofd_xml_parse(xmlDocPtr *out, const unsigned char *data, size_t len, es_err *err)
{
	xmlDocPtr doc;
	int rc;

	*out = NULL;
	if (len == 0 || len > INT_MAX)
		return es_err_set(err, ES_EFORMAT, "empty or oversized XML part");
	if (has_doctype(data, len))
		return es_err_set(err, ES_EFORMAT,
				  "XML part has a DOCTYPE/ENTITY declaration (possible XXE or entity bomb); refused");
	if ((rc = es_xml_require(err)) < 0)
		return rc;
	doc = xmlReadMemory((const char *)data, (int)len, "part.xml", NULL, XML_OPTS);
	if (doc == NULL)
		return es_err_set(err, ES_EFORMAT, "XML part is not well-formed");
	if (doc->intSubset || doc->extSubset || xmlDocGetRootElement(doc) == NULL ||
	    !depth_ok(xmlDocGetRootElement(doc), 0)) {
		xmlFreeDoc(doc);
		return es_err_set(err, ES_EFORMAT, "XML part has a DTD, no root or is nested too deeply");
	}
	*out = doc;
	return 0;
}

int ofd_xml_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNode *ofd_xml_child(const xmlNode *n, const char *name)
{
	xmlNode *c;

	if (n == NULL)
		return NULL;
	for (c = n->children; c; c = c->next)
		if (ofd_xml_is(c, name))
			return c;
	return NULL;
}

xmlNode *ofd_xml_next(const xmlNode *n, const char *name)
{
	xmlNode *c;

	for (c = n->next; c; c = c->next)
		if (ofd_xml_is(c, name))
			return c;
	return NULL;
}

static void trim_copy(char *buf, size_t cap, const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
}

void ofd_xml_text(const xmlNode *n, char *buf, size_t cap)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;

	buf[0] = 0;
	if (t)
		trim_copy(buf, cap, (const char *)t);
	xmlFree(t);
}

int ofd_xml_attr(const xmlNode *n, const char *name, char *buf, size_t cap)
{
	xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;

	buf[0] = 0;
	if (v == NULL)
		return -1;
	trim_copy(buf, cap, (const char *)v);
	xmlFree(v);
	return 0;
}

int ofd_parse_doubles(const char *s, double *v, int max)
{
	int n = 0;

	while (s && *s && n < max) {
		char *end;
		double d;

		while (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (!*s)
			break;
		d = strtod(s, &end);
		if (end == s)
			break;
		v[n++] = d;
		s = end;
	}
	return n;
}
