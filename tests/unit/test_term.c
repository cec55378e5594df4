/*
 * test_term.c - the serial console's host terminal, on a pseudo-terminal:
 * raw mode while running and the saved settings back afterwards (on
 * term_stop, on exit() without it, and when a signal kills the process),
 * Ctrl-A escapes as QEMU defines them, flow control towards the guest,
 * and a non-terminal stdin whose EOF does not stop anything.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "term.h"
#include "util.h"

struct guest {
	uint8_t got[256];
	size_t n, limit; /* limit: bytes accepted per input() call (0 = all) */
	int quits, breaks;
};

static size_t guest_input(void *opaque, const uint8_t *buf, size_t n)
{
	struct guest *g = opaque;
	size_t take = g->limit && n > g->limit ? g->limit : n;
	if (take > sizeof(g->got) - g->n)
		take = sizeof(g->got) - g->n;
	memcpy(g->got + g->n, buf, take);
	__atomic_store_n(&g->n, g->n + take, __ATOMIC_RELEASE);
	return take;
}

static void guest_quit(void *opaque)
{
	__atomic_fetch_add(&((struct guest *)opaque)->quits, 1, __ATOMIC_RELEASE);
}

/* A break is recorded in the byte stream as "<BRK>". */
static bool guest_break(void *opaque)
{
	struct guest *g = opaque;
	memcpy(g->got + g->n, "<BRK>", 5);
	__atomic_store_n(&g->n, g->n + 5, __ATOMIC_RELEASE);
	__atomic_fetch_add(&g->breaks, 1, __ATOMIC_RELEASE);
	return true;
}

static const struct term_ops guest_ops = {
    .input = guest_input, .quit = guest_quit, .brk = guest_break};

static bool open_pty(int *master, int *slave)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY);
	if (*master < 0 || grantpt(*master) || unlockpt(*master))
		return false;
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
	return *slave >= 0;
}

/* Wait up to a second for cond, polling. */
#define WAIT_FOR(cond)                                                                             \
	do {                                                                                       \
		for (int w_ = 0; w_ < 1000 && !(cond); w_++)                                       \
			usleep(1000);                                                              \
	} while (0)

static bool is_raw(int fd)
{
	struct termios t;
	tcgetattr(fd, &t);
	return !(t.c_lflag & (ICANON | ECHO | ISIG)) && !(t.c_iflag & (ICRNL | IXON)) &&
	       (t.c_oflag & OPOST) && t.c_cc[VMIN] == 1;
}

static bool is_cooked(int fd)
{
	struct termios t;
	tcgetattr(fd, &t);
	return (t.c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG) &&
	       (t.c_iflag & ICRNL);
}

static void test_raw_mode_set_and_restored(void)
{
	int m, s;
	if (!open_pty(&m, &s)) {
		T_SKIP("no pseudo-terminals here");
		return;
	}
	T_CHECK(is_cooked(s), "a new pty starts in canonical mode");
	struct guest g = {0};
	struct term *t;
	T_EQ(term_start(&t, s, s, &guest_ops, &g), 0);
	T_CHECK(is_raw(s), "raw mode while running (output processing kept)");
	term_stop(t);
	T_CHECK(is_cooked(s), "settings restored by term_stop");
	close(s);
	close(m);
}

static void test_escapes(void)
{
	int m, s;
	if (!open_pty(&m, &s)) {
		T_SKIP("no pseudo-terminals here");
		return;
	}
	struct guest g = {0};
	struct term *t;
	T_EQ(term_start(&t, s, s, &guest_ops, &g), 0);
	/* Ctrl-C goes to the guest; Ctrl-A Ctrl-A is one Ctrl-A; Ctrl-A z is
	 * dropped. */
	T_EQ(write(m,
		   "ab\x03\x01\x01"
		   "c\x01zd",
		   9),
	     9);
	WAIT_FOR(__atomic_load_n(&g.n, __ATOMIC_ACQUIRE) >= 6);
	T_EQ(g.n, 6);
	T_CHECK(!memcmp(g.got,
			"ab\x03\x01"
			"cd",
			6),
		"bytes delivered: %.*s", (int)g.n, g.got);
	T_EQ(write(m, "\x01h", 2), 2);
	char help[256] = {0};
	size_t got = 0;
	for (int i = 0; i < 100 && !strstr(help, "C-a x"); i++) {
		struct pollfd p = {.fd = m, .events = POLLIN};
		if (poll(&p, 1, 10) == 1) {
			ssize_t r = read(m, help + got, sizeof(help) - 1 - got);
			if (r > 0)
				got += r;
		}
	}
	T_CHECK(strstr(help, "C-a x") != NULL, "Ctrl-A H prints the help, got \"%s\"", help);
	T_EQ(g.quits, 0);
	T_EQ(write(m,
		   "\x01"
		   "b",
		   2),
	     2);
	WAIT_FOR(__atomic_load_n(&g.breaks, __ATOMIC_ACQUIRE) == 1);
	T_EQ(g.breaks, 1);
	T_EQ(write(m, "\x01x", 2), 2);
	WAIT_FOR(__atomic_load_n(&g.quits, __ATOMIC_ACQUIRE) == 1);
	T_EQ(g.quits, 1);
	term_stop(t);
	close(s);
	close(m);
}

static void test_flow_control(void)
{
	int p[2];
	T_EQ(pipe(p), 0);
	struct guest g = {.limit = 2};
	struct term *t;
	T_EQ(term_start(&t, p[0], STDERR_FILENO, &guest_ops, &g), 0);
	T_EQ(write(p[1], "hello", 5), 5);
	WAIT_FOR(__atomic_load_n(&g.n, __ATOMIC_ACQUIRE) >= 2);
	usleep(20000);
	T_EQ(g.n, 2); /* the rest waits for room */
	term_kick(t);
	WAIT_FOR(__atomic_load_n(&g.n, __ATOMIC_ACQUIRE) >= 4);
	T_EQ(g.n, 4);
	term_kick(t);
	WAIT_FOR(__atomic_load_n(&g.n, __ATOMIC_ACQUIRE) >= 5);
	T_CHECK(g.n == 5 && !memcmp(g.got, "hello", 5), "all bytes, in order");
	/* EOF on a pipe: no quit, nothing else happens. */
	close(p[1]);
	usleep(20000);
	T_EQ(g.quits, 0);
	term_stop(t);
	close(p[0]);
}

/* In a child: start raw mode, then leave without term_stop(). */
static void child_leaves(int slave, int how)
{
	struct guest g = {0};
	struct term *t;
	if (term_start(&t, slave, slave, &guest_ops, &g) || !is_raw(slave))
		_exit(99);
	if (how == 0)
		exit(0); /* atexit */
	raise(how);
	_exit(98);
}

static void test_restored_on_exit_and_signals(void)
{
	static const int hows[] = {0, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT};
	for (size_t i = 0; i < ARRAY_SIZE(hows); i++) {
		int m, s;
		if (!open_pty(&m, &s)) {
			T_SKIP("no pseudo-terminals here");
			return;
		}
		pid_t pid = fork();
		if (pid == 0) {
			struct rlimit no_core = {0, 0}; /* no core files from the test */
			setrlimit(RLIMIT_CORE, &no_core);
			child_leaves(s, hows[i]);
		}
		int st;
		waitpid(pid, &st, 0);
		if (hows[i] == 0)
			T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit(0): status %#x", st);
		else
			T_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == hows[i],
				"signal %d: the process still dies of it (status %#x)", hows[i],
				st);
		T_CHECK(is_cooked(s), "terminal restored after %s",
			hows[i] ? strsignal(hows[i]) : "exit()");
		close(s);
		close(m);
	}
}

/* `ember ... &` from an interactive shell: the terminal is someone else's
 * foreground; touching it would stop ember with SIGTTOU/SIGTTIN. */
static void test_background_job_leaves_terminal_alone(void)
{
	int m, s;
	if (!open_pty(&m, &s)) {
		T_SKIP("no pseudo-terminals here");
		return;
	}
	pid_t session = fork();
	if (session == 0) {
		/* A session whose controlling terminal is the pty, and a job in
		 * the background of it. */
		if (setsid() < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
			_exit(97);
		pid_t job = fork();
		if (job == 0) {
			setpgid(0, 0);
			signal(SIGTTOU, SIG_DFL); /* as in an interactive shell's jobs */
			signal(SIGTTIN, SIG_DFL);
			struct guest g = {0};
			struct term *t;
			if (term_start(&t, s, s, &guest_ops, &g))
				_exit(99);
			usleep(20000);
			term_stop(t);
			_exit(is_cooked(s) ? 0 : 98);
		}
		int st;
		waitpid(job, &st, WUNTRACED);
		if (WIFSTOPPED(st))
			kill(job, SIGKILL);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 96);
	}
	int st = 0;
	waitpid(session, &st, 0);
	T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		"background job: want a clean exit, got status %#x (96 = stopped by SIGTTOU)", st);
	T_CHECK(is_cooked(s), "terminal untouched");
	close(s);
	close(m);
}

int main(void)
{
	/* A shell without job control starts background commands with SIGINT
	 * and SIGQUIT ignored, and ember rightly keeps an inherited SIG_IGN;
	 * the signal test is about the default action, so start from it. */
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	T_RUN(test_raw_mode_set_and_restored);
	T_RUN(test_escapes);
	T_RUN(test_flow_control);
	T_RUN(test_restored_on_exit_and_signals);
	T_RUN(test_background_job_leaves_terminal_alone);
	T_EXIT();
}
