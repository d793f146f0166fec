/* Run the external identity provider: posix_spawn (fork/exec) of
 * /bin/sh -c "$ESEAL_IDP_CMD", data on stdin only, reply on stdout, with a
 * deadline and an output cap.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "util/util.h"
#include "auth_int.h"

extern char **environ;

#define SHELL_PATH "/bin/sh"
#define READ_CHUNK 4096
#define REAP_POLL_MS 5
/* sh: 127 command not found, 126 found but not executable (POSIX 2.8.2). */
#define SH_NOT_FOUND 127
#define SH_NOT_EXECUTABLE 126

typedef struct child {
	pid_t pid;
	int in_fd;  /* our end of the child's stdin (socket: MSG_NOSIGNAL) */
	int out_fd; /* read end of the child's stdout */
} child;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int spawn_child(child *c, const char *cmd, es_err *err)
{
	int sv[2] = {-1, -1}, op[2] = {-1, -1}, rc = 0, e;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	char *argv[] = {(char *)"sh", (char *)"-c", (char *)cmd, NULL};

	/* A socket for stdin lets us write with MSG_NOSIGNAL: a provider that
	 * exits without reading must not kill us with SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(op, O_CLOEXEC) < 0) {
		rc = es_err_set(err, ES_EIO, "identity provider failed: cannot create pipes: %s",
				strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, op[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&dflt);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setpgroup(&at, 0); /* own group: a timeout kills it all */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	e = posix_spawn(&c->pid, SHELL_PATH, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		rc = es_err_set(err, ES_EIDENTITY, "identity provider failed: cannot start %s: %s",
				SHELL_PATH, strerror(e));
		goto out;
	}
	c->in_fd = sv[0];
	c->out_fd = op[0];
	sv[0] = op[0] = -1;
	fcntl(c->in_fd, F_SETFL, fcntl(c->in_fd, F_GETFL) | O_NONBLOCK);
	fcntl(c->out_fd, F_SETFL, fcntl(c->out_fd, F_GETFL) | O_NONBLOCK);
out:
	close_fd(&sv[0]);
	close_fd(&sv[1]);
	close_fd(&op[0]);
	close_fd(&op[1]);
	return rc;
}

static void kill_child(child *c)
{
	int st;

	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* One poll round: push stdin, pull stdout.  Returns 1 at stdout EOF, 0 to go
 * on, or a negative code (reply too large, I/O error). */
static int pump(child *c, const char *in, size_t inlen, size_t *sent, size_t max_out,
		es_buf *out, int wait_ms, es_err *err)
{
	struct pollfd p[2] = {{c->out_fd, POLLIN, 0}, {c->in_fd, POLLOUT, 0}};
	char chunk[READ_CHUNK];
	ssize_t n;

	if (poll(p, c->in_fd >= 0 ? 2 : 1, wait_ms) < 0)
		return errno == EINTR ? 0 : es_err_set(err, ES_EIO,
			"identity provider failed: poll: %s", strerror(errno));
	if (c->in_fd >= 0 && p[1].revents != 0) {
		n = send(c->in_fd, in + *sent, inlen - *sent, MSG_NOSIGNAL);
		if (n > 0)
			*sent += (size_t)n;
		/* Done, or the provider stopped reading: it answers anyway. */
		if (*sent == inlen || (n < 0 && errno != EAGAIN && errno != EINTR))
			close_fd(&c->in_fd);
	}
	if (p[0].revents == 0)
		return 0;
	n = read(c->out_fd, chunk, sizeof(chunk));
	if (n == 0)
		return 1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : es_err_set(err, ES_EIO,
			"identity provider failed: reading its reply: %s", strerror(errno));
	if (out->len + (size_t)n > max_out)
		return es_err_set(err, ES_EIDENTITY,
			"identity provider failed: reply larger than %zu bytes", max_out);
	return es_buf_append(out, chunk, (size_t)n, err);
}

static int exit_status(int st, es_err *err)
{
	if (WIFSIGNALED(st))
		return es_err_set(err, ES_EIDENTITY,
			"identity provider failed: killed by signal %d", WTERMSIG(st));
	if (!WIFEXITED(st))
		return es_err_set(err, ES_EIDENTITY, "identity provider failed: did not exit");
	switch (WEXITSTATUS(st)) {
	case 0:
		return 0;
	case SH_NOT_FOUND:
		return es_err_set(err, ES_EIDENTITY,
			"identity provider failed: program not found (exit status 127); "
			"check ESEAL_IDP_CMD");
	case SH_NOT_EXECUTABLE:
		return es_err_set(err, ES_EIDENTITY,
			"identity provider failed: program not executable (exit status 126); "
			"check ESEAL_IDP_CMD");
	default:
		return es_err_set(err, ES_EIDENTITY,
			"identity provider failed: exited with status %d", WEXITSTATUS(st));
	}
}

/* After stdout EOF: wait for the exit status until the deadline. */
static int reap(child *c, long deadline, long timeout_ms, es_err *err)
{
	int st;
	pid_t r;

	for (;;) {
		r = waitpid(c->pid, &st, WNOHANG);
		if (r == c->pid)
			return exit_status(st, err);
		if (r < 0 && errno != EINTR)
			return es_err_set(err, ES_EIDENTITY,
				"identity provider failed: cannot get its exit status: %s",
				strerror(errno));
		if (now_ms() >= deadline) {
			kill_child(c);
			return es_err_set(err, ES_EIDENTITY,
				"identity provider failed: no exit within %ld ms; killed it",
				timeout_ms);
		}
		poll(NULL, 0, REAP_POLL_MS);
	}
}

int es_idp_run(const char *cmd, const char *in, size_t inlen, long timeout_ms,
	       size_t max_out, es_buf *out, es_err *err)
{
	child c = {-1, -1, -1};
	long deadline = now_ms() + timeout_ms, left;
	size_t sent = 0;
	int rc;

	if ((rc = spawn_child(&c, cmd, err)) < 0)
		return rc;
	if (inlen == 0)
		close_fd(&c.in_fd);
	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			kill_child(&c);
			rc = es_err_set(err, ES_EIDENTITY,
				"identity provider failed: no answer within %ld ms; killed it",
				timeout_ms);
			goto out;
		}
		rc = pump(&c, in, inlen, &sent, max_out, out, (int)left, err);
		if (rc < 0) {
			kill_child(&c);
			goto out;
		}
		if (rc == 1)
			break;
	}
	rc = reap(&c, deadline, timeout_ms, err);
out:
	close_fd(&c.in_fd);
	close_fd(&c.out_fd);
	return rc;
}
