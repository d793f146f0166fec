/* libxml2, loaded on first use (see src/util/dl.h for why: it brings ICU and
 * libstdc++ into every start of `eseal`, and only OFD needs it).
 *
 * Defines the libxml2 functions eseal calls, under their own names, and the
 * xmlFree hook variable (libxml2 exports it as data; Debian's build does not
 * enable per-thread allocation hooks).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "ofd_int.h"
#include "util/dl.h"

static __typeof__(xmlInitParser) *p_init;
static __typeof__(xmlReadMemory) *p_read;
static __typeof__(xmlFreeDoc) *p_free_doc;
static __typeof__(xmlDocGetRootElement) *p_root;
static __typeof__(xmlNodeGetContent) *p_content;
static __typeof__(xmlGetProp) *p_prop;
static xmlFreeFunc *p_free; /* address of libxml2's own xmlFree */

static const char *const xml_sonames[] = {"libxml2.so.2", NULL};
static const es_dl_sym xml_syms[] = {
	{"xmlInitParser", (void **)&p_init},
	{"xmlReadMemory", (void **)&p_read},
	{"xmlFreeDoc", (void **)&p_free_doc},
	{"xmlDocGetRootElement", (void **)&p_root},
	{"xmlNodeGetContent", (void **)&p_content},
	{"xmlGetProp", (void **)&p_prop},
	{"xmlFree", (void **)&p_free},
};
/* libxml2 wants its parser initialised once before threads share it. */
static void xml_init(void)
{
	p_init();
}

static es_dl_lib xml_lib = {xml_sonames, xml_syms, sizeof(xml_syms) / sizeof(xml_syms[0]),
			    "libxml2", xml_init, 0, ""};

int es_xml_require(es_err *err)
{
	return es_dl_require(&xml_lib, err);
}

static void shim_free(void *p)
{
	if (p != NULL && es_xml_require(NULL) == 0)
		(*p_free)(p);
}

xmlFreeFunc xmlFree = shim_free;

xmlDocPtr xmlReadMemory(const char *buf, int size, const char *url, const char *enc, int options)
{
	return es_xml_require(NULL) == 0 ? p_read(buf, size, url, enc, options) : NULL;
}

void xmlFreeDoc(xmlDocPtr doc)
{
	if (doc != NULL && es_xml_require(NULL) == 0)
		p_free_doc(doc);
}

xmlNodePtr xmlDocGetRootElement(const xmlDoc *doc)
{
	return doc != NULL && es_xml_require(NULL) == 0 ? p_root(doc) : NULL;
}

xmlChar *xmlNodeGetContent(const xmlNode *n)
{
	return n != NULL && es_xml_require(NULL) == 0 ? p_content(n) : NULL;
}

xmlChar *xmlGetProp(const xmlNode *n, const xmlChar *name)
{
	return n != NULL && es_xml_require(NULL) == 0 ? p_prop(n, name) : NULL;
}
