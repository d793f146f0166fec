/* eseal: seal pictures — one vector drawing per template, many outputs.
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#ifndef ESEAL_PICTURE_H
#define ESEAL_PICTURE_H

#include <stddef.h>
#include "eseal/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum es_seal_kind {
	ES_KIND_COMPANY = 1,   /**< 公章: round Ø42/40, star, name on upper arc, code on lower arc */
	ES_KIND_CONTRACT,      /**< 合同专用章: round Ø40/38, purpose text horizontal */
	ES_KIND_FINANCE,       /**< 财务专用章 */
	ES_KIND_INVOICE,       /**< 发票专用章: oval 40x30 */
	ES_KIND_LEGAL_REP,     /**< 法人章: square */
	ES_KIND_PERSONAL       /**< 个人名章: square 18-25 mm, 印/之印 filling */
} es_seal_kind;

/** "company", "contract", ... (CLI and API names); es_seal_kind_parse() reverse. */
const char *es_seal_kind_name(es_seal_kind k);
int es_seal_kind_parse(es_seal_kind *out, const char *name);
/** 公章, 合同专用章, 财务专用章, 发票专用章, 法定代表人章, 个人名章 */
const char *es_seal_kind_label_zh(es_seal_kind k);

typedef struct es_picture_spec {
	es_seal_kind kind;
	const char *template_name; /**< NULL: the kind's default template (docs/templates.md) */
	const char *org_name;      /**< organisation name (upper arc) */
	const char *purpose;       /**< horizontal text (e.g. 合同专用章); NULL: kind's default */
	const char *code;          /**< 13-digit seal code on the lower arc (organisation seals) */
	const char *taxpayer_no;   /**< invoice seal: taxpayer number across the centre */
	const char *person_name;   /**< personal / legal-rep seals */
	double size_mm;            /**< 0: template default (diameter / width) */
	const char *font_path;     /**< NULL: $ESEAL_FONT or a Debian CJK font */
} es_picture_spec;

/** A vector seal drawing: paths in millimetres, origin top-left, y down. */
typedef struct es_picture es_picture;

int es_picture_draw(es_picture **out, const es_picture_spec *spec, es_err *err);
void es_picture_free(es_picture *p);
double es_picture_width_mm(const es_picture *p);
double es_picture_height_mm(const es_picture *p);

/** PNG, transparent background, red ink, at dpi (e.g. 300). *out malloc'd. */
int es_picture_png(unsigned char **out, size_t *len, const es_picture *p, int dpi, es_err *err);
/** Standalone SVG document (width/height in mm). *out malloc'd, NUL-terminated. */
int es_picture_svg(char **out, const es_picture *p, es_err *err);
/** PDF content stream painting the seal in a box of width x height points
 * (1 pt = 25.4/72 mm), origin bottom-left, no resources needed (paths only,
 * DeviceRGB fill).  Usable as a form XObject / appearance stream. *out malloc'd. */
int es_picture_pdf_stream(char **out, size_t *len, const es_picture *p, es_err *err);
/** A one-page PDF file showing the seal at real size. *out malloc'd. */
int es_picture_pdf(unsigned char **out, size_t *len, const es_picture *p, es_err *err);

#ifdef __cplusplus
}
#endif
#endif
