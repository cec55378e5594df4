/*
 * term.h - the host terminal behind --serial stdio: raw mode while the
 * guest runs (restored on every way out of the process, signals included),
 * a thread that reads stdin for the guest, and QEMU's Ctrl-A escapes
 * (Ctrl-A X quits, Ctrl-A B sends a break, Ctrl-A Ctrl-A sends Ctrl-A,
 * Ctrl-A H prints help).
 * Not a device: where the bytes go is the caller's business (ops).
 * Follows POSIX termios (cfmakeraw's settings, but output processing kept
 * so host messages still end lines properly) and QEMU's -serial mon:stdio
 * escape keys.
 */
#ifndef EMBER_TERM_H
#define EMBER_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct term_ops {
	/* Bytes typed for the guest; returns how many it took.  What is not
	 * taken is offered again after term_kick(). */
	size_t (*input)(void *opaque, const uint8_t *buf, size_t n);
	/* Ctrl-A X. */
	void (*quit)(void *opaque);
	/* Ctrl-A B: a break, in order with the bytes around it; false if it
	 * cannot be taken yet (offered again after term_kick()).  May be NULL. */
	bool (*brk)(void *opaque);
};

struct term;

/*
 * Start reading in_fd on a new thread.  If in_fd is a terminal it is put in
 * raw mode until term_stop() (and atexit / fatal signals restore it too);
 * otherwise termios is not touched and EOF just ends the reading.  A
 * process in the background of its terminal neither changes nor reads it.
 * out_fd receives the Ctrl-A H help.  Returns 0 or -errno (ember_error).
 */
int term_start(struct term **out, int in_fd, int out_fd, const struct term_ops *ops, void *opaque);

/* input() may take more now (async-signal-safe: one write to a pipe). */
void term_kick(struct term *t);

/* Stop the thread, restore the terminal, free.  NULL is fine. */
void term_stop(struct term *t);

#endif
