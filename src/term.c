/*
 * term.c - host terminal for the serial console (see term.h).  One
 * terminal at a time is in raw mode; its saved settings live in static
 * storage so signal handlers and atexit() can put them back with one
 * tcsetattr(), which is async-signal-safe.  Termination signals restore
 * the terminal and then run the previous handler, or die of the signal
 * with the default action, so the exit status still says what happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"
#include "util.h"

#define TERM_ESCAPE  0x01  /* Ctrl-A */
#define TERM_PENDING 4096  /* typed bytes waiting for the guest */
#define TERM_BREAK   0x100 /* a pending break, among the pending bytes */

struct term {
	int in_fd, out_fd;
	int wake[2]; /* pipe: term_kick() and term_stop() wake the thread */
	struct term_ops ops;
	void *opaque;
	pthread_t thread;
	bool raw;
	bool deaf; /* a terminal we are in the background of: never read it */
	volatile bool stopping;
	bool escape;			/* the last byte was Ctrl-A */
	uint16_t pending[TERM_PENDING]; /* bytes, or TERM_BREAK */
	size_t npending;
};

/* The terminal to restore, for signal handlers and atexit. */
static struct termios term_saved;
static volatile sig_atomic_t term_saved_fd = -1;
static bool term_hooks_installed;

static const int term_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV,
				   SIGBUS, SIGILL,  SIGFPE, SIGABRT};
static struct sigaction term_prev[NSIG];

static void term_restore(void)
{
	int fd = term_saved_fd;
	if (fd >= 0)
		tcsetattr(fd, TCSANOW, &term_saved);
}

static void term_on_signal(int sig, siginfo_t *info, void *uctx)
{
	term_restore();
	const struct sigaction *prev = &term_prev[sig];
	if (prev->sa_flags & SA_SIGINFO) {
		if (prev->sa_sigaction) {
			prev->sa_sigaction(sig, info, uctx);
			return;
		}
	} else if (prev->sa_handler == SIG_IGN) {
		return;
	} else if (prev->sa_handler != SIG_DFL) {
		prev->sa_handler(sig);
		return;
	}
	/* Default action: die of this signal (with a core if it makes one). */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void term_install_hooks(void)
{
	if (term_hooks_installed)
		return;
	term_hooks_installed = true;
	atexit(term_restore);
	for (size_t i = 0; i < ARRAY_SIZE(term_signals); i++) {
		struct sigaction sa = {.sa_sigaction = term_on_signal,
				       .sa_flags = SA_SIGINFO | SA_RESTART};
		sigemptyset(&sa.sa_mask);
		sigaction(term_signals[i], &sa, &term_prev[term_signals[i]]);
	}
}

static int term_make_raw(struct term *t)
{
	struct termios raw;
	if (tcgetattr(t->in_fd, &term_saved) < 0)
		return ember_error(-errno, "stdin: cannot read terminal settings: %s",
				   strerror(errno));
	raw = term_saved;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	term_install_hooks();
	term_saved_fd = t->in_fd;
	if (tcsetattr(t->in_fd, TCSANOW, &raw) < 0) {
		int e = errno;
		term_saved_fd = -1;
		return ember_error(-e, "stdin: cannot set raw mode: %s", strerror(e));
	}
	t->raw = true;
	return 0;
}

static void term_write_all(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= w;
	}
}

static void term_queue(struct term *t, uint16_t c)
{
	if (t->npending < TERM_PENDING) /* beyond that, typing is lost */
		t->pending[t->npending++] = c;
}

/* Escape handling, as QEMU's character multiplexer does it. */
static void term_byte(struct term *t, uint8_t c)
{
	if (!t->escape) {
		if (c == TERM_ESCAPE)
			t->escape = true;
		else
			term_queue(t, c);
		return;
	}
	t->escape = false;
	switch (c) {
	case 'x':
	case 'X':
		if (t->ops.quit)
			t->ops.quit(t->opaque);
		break;
	case 'b':
	case 'B':
		term_queue(t, TERM_BREAK);
		break;
	case TERM_ESCAPE:
		term_queue(t, TERM_ESCAPE);
		break;
	case 'h':
	case 'H':
	case '?':
		term_write_all(t->out_fd, "\r\nC-a h    print this help\r\n"
					  "C-a x    exit ember\r\n"
					  "C-a b    send a break (SysRq on a Linux console)\r\n"
					  "C-a C-a  send C-a to the guest\r\n");
		break;
	default: /* unknown escapes are dropped */
		break;
	}
}

/* Offer pending input in order: runs of bytes to input(), breaks to brk(). */
static void term_deliver(struct term *t)
{
	size_t done = 0;
	while (done < t->npending) {
		if (t->pending[done] == TERM_BREAK) {
			if (t->ops.brk && !t->ops.brk(t->opaque))
				break;
			done++;
			continue;
		}
		uint8_t run[TERM_PENDING];
		size_t n = 0;
		while (done + n < t->npending && t->pending[done + n] != TERM_BREAK) {
			run[n] = t->pending[done + n];
			n++;
		}
		size_t k = t->ops.input ? t->ops.input(t->opaque, run, n) : n;
		done += k;
		if (k < n)
			break;
	}
	memmove(t->pending, t->pending + done, (t->npending - done) * sizeof(t->pending[0]));
	t->npending -= done;
}

static void *term_thread(void *arg)
{
	struct term *t = arg;
	sigset_t all;
	sigfillset(&all); /* signals are the main thread's business */
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	bool eof = t->deaf;
	while (!t->stopping) {
		struct pollfd pfd[2] = {{.fd = t->wake[0], .events = POLLIN},
					{.fd = t->in_fd, .events = POLLIN}};
		int nfds = eof ? 1 : 2;
		if (poll(pfd, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents) {
			char drain[64];
			while (read(t->wake[0], drain, sizeof(drain)) > 0)
				;
		}
		if (nfds == 2 && pfd[1].revents) {
			uint8_t buf[256];
			ssize_t n = read(t->in_fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) /* EOF or a hung-up terminal: the guest runs on */
				eof = true;
			for (ssize_t i = 0; i < n; i++)
				term_byte(t, buf[i]);
		}
		term_deliver(t);
	}
	return NULL;
}

int term_start(struct term **out, int in_fd, int out_fd, const struct term_ops *ops, void *opaque)
{
	struct term *t = calloc(1, sizeof(*t));
	if (!t)
		return ember_error(-ENOMEM, "terminal: out of memory");
	t->in_fd = in_fd;
	t->out_fd = out_fd;
	t->ops = *ops;
	t->opaque = opaque;
	if (pipe2(t->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		int e = errno;
		free(t);
		return ember_error(-e, "terminal: pipe: %s", strerror(e));
	}
	/* A background job must not touch its terminal: tcsetattr() would
	 * stop it with SIGTTOU and read() with SIGTTIN.  It gets no input. */
	int r = 0;
	pid_t fg = tcgetpgrp(in_fd); /* fails unless it is our controlling tty */
	if (fg >= 0 && fg != getpgrp())
		t->deaf = true;
	else if (isatty(in_fd))
		r = term_make_raw(t);
	if (r == 0) {
		r = -pthread_create(&t->thread, NULL, term_thread, t);
		if (r)
			ember_error(r, "terminal: cannot start the input thread: %s", strerror(-r));
	}
	if (r < 0) {
		if (t->raw) {
			term_restore();
			term_saved_fd = -1;
		}
		close(t->wake[0]);
		close(t->wake[1]);
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

void term_kick(struct term *t)
{
	char c = 0;
	if (write(t->wake[1], &c, 1) < 0) {
		/* The pipe is full: the thread has wake-ups queued already. */
	}
}

void term_stop(struct term *t)
{
	if (!t)
		return;
	t->stopping = true;
	term_kick(t);
	pthread_join(t->thread, NULL);
	if (t->raw) {
		term_restore();
		term_saved_fd = -1;
	}
	close(t->wake[0]);
	close(t->wake[1]);
	free(t);
}
