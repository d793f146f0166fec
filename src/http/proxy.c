/* The client's address behind a reverse proxy (X-Forwarded-For).
 *
 * The header is only believed when the TCP peer is one of the proxies named
 * with --trusted-proxy; anyone else could write any address into it and so
 * pick whose login back-off they trip and what the audit log records.  From a
 * trusted peer, the addresses are read from the right (each proxy appends the
 * address it saw) and the first one that is not itself a trusted proxy is the
 * client.  A malformed entry ends the walk at the last good address.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "http_int.h"

#define ADDR_TEXT_MAX 64

/* s[0..n) as a canonical numeric address in out; 0 when it is not one. */
static int addr_canon(const char *s, size_t n, char *out, size_t cap)
{
	char tmp[ADDR_TEXT_MAX];
	unsigned char bin[sizeof(struct in6_addr)];

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, bin) == 1)
		return inet_ntop(AF_INET, bin, out, (socklen_t)cap) != NULL;
	if (inet_pton(AF_INET6, tmp, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, (socklen_t)cap) != NULL;
	return 0;
}

/* 1 when addr (canonical) is in the comma-separated list of proxies. */
static int is_trusted(const char *addr, const char *list)
{
	char c[ADDR_TEXT_MAX];
	const char *p = list, *e;

	while (p != NULL && *p != '\0') {
		e = strchr(p, ',');
		if (addr_canon(p, e ? (size_t)(e - p) : strlen(p), c, sizeof(c)) && strcmp(c, addr) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

int es_http_proxy_list_valid(const char *list)
{
	char c[ADDR_TEXT_MAX];
	const char *p = list, *e;

	if (list == NULL || *list == '\0')
		return 0;
	while (p != NULL) {
		e = strchr(p, ',');
		if (!addr_canon(p, e ? (size_t)(e - p) : strlen(p), c, sizeof(c)))
			return 0;
		p = e ? e + 1 : NULL;
	}
	return 1;
}

void es_http_client_address(char *out, size_t cap, const char *peer, const char *xff,
			    const char *trusted)
{
	char cur[ADDR_TEXT_MAX], next[ADDR_TEXT_MAX];
	const char *end, *start;

	snprintf(out, cap, "%s", peer);
	if (trusted == NULL || xff == NULL || !addr_canon(peer, strlen(peer), cur, sizeof(cur)) ||
	    !is_trusted(cur, trusted))
		return;
	end = xff + strlen(xff);
	while (end > xff) {
		start = end;
		while (start > xff && start[-1] != ',')
			start--;
		if (!addr_canon(start, (size_t)(end - start), next, sizeof(next)))
			break;
		snprintf(cur, sizeof(cur), "%s", next);
		if (!is_trusted(cur, trusted))
			break;
		end = start > xff ? start - 1 : xff;
	}
	snprintf(out, cap, "%s", cur);
}
