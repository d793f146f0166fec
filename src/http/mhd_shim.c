/* libmicrohttpd, loaded on first use (see src/util/dl.h for why: only
 * `eseal serve` needs it, and with GnuTLS behind it, it is a third of the
 * start-up cost of every other command).
 *
 * Defines the libmicrohttpd functions eseal calls, under their own names;
 * MHD_start_daemon() passes its option list on to MHD_start_daemon_va().
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <microhttpd.h>
#include "http_int.h"
#include "util/dl.h"

static __typeof__(MHD_start_daemon_va) *p_start_va;
static __typeof__(MHD_stop_daemon) *p_stop;
static __typeof__(MHD_get_daemon_info) *p_daemon_info;
static __typeof__(MHD_get_connection_info) *p_connection_info;
static __typeof__(MHD_lookup_connection_value) *p_lookup;
static __typeof__(MHD_create_response_from_buffer) *p_response;
static __typeof__(MHD_add_response_header) *p_header;
static __typeof__(MHD_queue_response) *p_queue;
static __typeof__(MHD_destroy_response) *p_destroy;

static const char *const mhd_sonames[] = {"libmicrohttpd.so.12", NULL};
static const es_dl_sym mhd_syms[] = {
	{"MHD_start_daemon_va", (void **)&p_start_va},
	{"MHD_stop_daemon", (void **)&p_stop},
	{"MHD_get_daemon_info", (void **)&p_daemon_info},
	{"MHD_get_connection_info", (void **)&p_connection_info},
	{"MHD_lookup_connection_value", (void **)&p_lookup},
	{"MHD_create_response_from_buffer", (void **)&p_response},
	{"MHD_add_response_header", (void **)&p_header},
	{"MHD_queue_response", (void **)&p_queue},
	{"MHD_destroy_response", (void **)&p_destroy},
};
static es_dl_lib mhd_lib = {mhd_sonames, mhd_syms, sizeof(mhd_syms) / sizeof(mhd_syms[0]),
			    "libmicrohttpd12", NULL, 0, ""};

int es_mhd_require(es_err *err)
{
	return es_dl_require(&mhd_lib, err);
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
				    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	if (es_mhd_require(NULL) < 0)
		return NULL;
	va_start(ap, dh_cls);
	d = p_start_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *d)
{
	if (d != NULL && es_mhd_require(NULL) == 0)
		p_stop(d);
}

const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *d,
						enum MHD_DaemonInfoType what, ...)
{
	return es_mhd_require(NULL) == 0 ? p_daemon_info(d, what) : NULL;
}

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *c,
							enum MHD_ConnectionInfoType what, ...)
{
	return es_mhd_require(NULL) == 0 ? p_connection_info(c, what) : NULL;
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
					const char *key)
{
	return es_mhd_require(NULL) == 0 ? p_lookup(c, kind, key) : NULL;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
						     enum MHD_ResponseMemoryMode mode)
{
	return es_mhd_require(NULL) == 0 ? p_response(size, buffer, mode) : NULL;
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *header,
					const char *content)
{
	return es_mhd_require(NULL) == 0 ? p_header(r, header, content) : MHD_NO;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status,
				   struct MHD_Response *r)
{
	return es_mhd_require(NULL) == 0 ? p_queue(c, status, r) : MHD_NO;
}

void MHD_destroy_response(struct MHD_Response *r)
{
	if (r != NULL && es_mhd_require(NULL) == 0)
		p_destroy(r);
}
