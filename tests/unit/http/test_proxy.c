/* The client address behind a reverse proxy (src/http/proxy.c).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "http/http_int.h"

static const char *client(const char *peer, const char *xff, const char *trusted)
{
	static char out[64];

	es_http_client_address(out, sizeof(out), peer, xff, trusted);
	return out;
}

static void header_ignored_unless_peer_is_trusted(void **state)
{
	(void)state;
	assert_string_equal(client("203.0.113.9", "198.51.100.7", NULL), "203.0.113.9");
	assert_string_equal(client("203.0.113.9", "198.51.100.7", "127.0.0.1"), "203.0.113.9");
	assert_string_equal(client("127.0.0.1", NULL, "127.0.0.1"), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "198.51.100.7", "127.0.0.1"), "198.51.100.7");
}

static void rightmost_untrusted_entry_wins(void **state)
{
	(void)state;
	/* the client forged the first entry; the proxy appended the real one */
	assert_string_equal(client("127.0.0.1", "1.2.3.4, 198.51.100.7", "127.0.0.1"), "198.51.100.7");
	/* two proxies in a row, both trusted */
	assert_string_equal(client("10.0.0.2", "198.51.100.7,10.0.0.1", "10.0.0.1, 10.0.0.2"),
			    "198.51.100.7");
	/* IPv6 is written canonically */
	assert_string_equal(client("::1", "2001:DB8:0:0::1", "::1"), "2001:db8::1");
	/* every entry a trusted proxy: the left-most */
	assert_string_equal(client("127.0.0.1", "127.0.0.1", "127.0.0.1"), "127.0.0.1");
}

static void malformed_entries_stop_the_walk(void **state)
{
	(void)state;
	assert_string_equal(client("127.0.0.1", "evil<script>", "127.0.0.1"), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "198.51.100.7, unknown", "127.0.0.1"), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "junk, 198.51.100.7", "127.0.0.1"), "198.51.100.7");
	assert_string_equal(client("127.0.0.1", "", "127.0.0.1"), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", ",,,", "127.0.0.1"), "127.0.0.1");
}

static void proxy_list_validation(void **state)
{
	(void)state;
	assert_true(es_http_proxy_list_valid("127.0.0.1"));
	assert_true(es_http_proxy_list_valid("127.0.0.1, ::1,10.0.0.1"));
	assert_false(es_http_proxy_list_valid(""));
	assert_false(es_http_proxy_list_valid("localhost"));
	assert_false(es_http_proxy_list_valid("127.0.0.1,"));
	assert_false(es_http_proxy_list_valid("10.0.0.0/8"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_ignored_unless_peer_is_trusted),
		cmocka_unit_test(rightmost_untrusted_entry_wins),
		cmocka_unit_test(malformed_entries_stop_the_walk),
		cmocka_unit_test(proxy_list_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
