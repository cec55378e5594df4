/*
 * test_block.c - the block backend against the image file's bytes: --drive
 * parsing and its refusals, opening (missing, directory, empty, locked),
 * the lock between open file descriptions (as between two embers), reads,
 * writes, flushes, discard and write-zeroes through the I/O thread with
 * io_uring and with its synchronous fallback, cache=none's O_DIRECT with
 * misaligned memory and offsets, read-only refusals, and pause.  The oracle
 * is the file read with plain pread and its allocation seen by SEEK_HOLE.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "block/block.h"
#include "util.h"
#include "t.h"

static char dir[64];

static char *tpath(const char *name)
{
	static char p[4][128];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* A file of n bytes, each byte = (offset * 7 + seed) & 0xff. */
static void make_image(const char *path, size_t n, int seed)
{
	uint8_t *b = malloc(n);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 7 + (size_t)seed);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	T_CHECK(fd >= 0 && write(fd, b, n) == (ssize_t)n, "cannot create %s", path);
	close(fd);
	free(b);
}

static void file_bytes(const char *path, uint64_t off, void *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	T_CHECK(fd >= 0 && pread(fd, buf, n, (off_t)off) == (ssize_t)n, "cannot read %s", path);
	close(fd);
}

static int open_drive(struct blk_image *img, const char *spec)
{
	struct blk_options o;
	int r = blk_options_parse(spec, &o);
	if (r == 0) {
		r = blk_image_open(img, &o);
		blk_options_free(&o);
	}
	return r;
}

static void test_options(void)
{
	struct blk_options o;
	T_EQ(blk_options_parse("file=a.img", &o), 0);
	T_STREQ(o.file, "a.img");
	T_EQ(o.readonly, 0);
	T_EQ(o.cache, BLK_CACHE_WRITEBACK);
	T_STREQ(o.serial, "");
	blk_options_free(&o);
	T_EQ(blk_options_parse(
		 "file=x,,y.img,format=raw,readonly=on,cache=none,serial=SN-1,if=virtio", &o),
	     0);
	T_STREQ(o.file, "x,y.img");
	T_EQ(o.readonly, 1);
	T_EQ(o.cache, BLK_CACHE_NONE);
	T_STREQ(o.serial, "SN-1");
	blk_options_free(&o);
	T_EQ(blk_options_parse("cache=unsafe,file=b", &o), 0);
	T_EQ(o.cache, BLK_CACHE_UNSAFE);
	blk_options_free(&o);

	/* Each refusal names the option and what is wrong. */
	static const struct {
		const char *arg, *says;
	} bad[] = {
	    {"readonly=on", "needs file=PATH"},
	    {"file=a,format=qcow2", "format=qcow2: only raw"},
	    {"file=a,cache=writethrough", "cache=writethrough: must be writeback, none or unsafe"},
	    {"file=a,readonly=maybe", "readonly=maybe: must be on or off"},
	    {"file=a,serial=123456789012345678901", "at most 20 characters"},
	    {"file=a,if=ide", "if=ide: only virtio"},
	    {"file=a,discard=unmap", "unknown key 'discard'"},
	    {"file=a,junk", "'junk' is not key=value"},
	    {"file=", "file= is empty"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		T_EQ(blk_options_parse(bad[i].arg, &o), -EINVAL);
		const char *e = ember_last_error();
		T_CHECK(strstr(e, bad[i].says) && strstr(e, "--drive"), "%s: got '%s', want '%s'",
			bad[i].arg, e, bad[i].says);
	}
}

static void test_open_refusals(void)
{
	struct blk_image img;
	char spec[200];
	snprintf(spec, sizeof(spec), "file=%s", tpath("missing.img"));
	T_EQ(open_drive(&img, spec), -ENOENT);
	T_CHECK(strstr(ember_last_error(), "missing.img: No such file"), "got '%s'",
		ember_last_error());
	blk_image_close(&img);

	snprintf(spec, sizeof(spec), "file=%s", dir);
	T_EQ(open_drive(&img, spec), -EISDIR);
	T_CHECK(strstr(ember_last_error(), "is a directory"), "got '%s'", ember_last_error());
	blk_image_close(&img);

	make_image(tpath("empty.img"), 0, 0);
	snprintf(spec, sizeof(spec), "file=%s", tpath("empty.img"));
	T_EQ(open_drive(&img, spec), -EINVAL);
	T_CHECK(strstr(ember_last_error(), "empty.img: empty image"), "got '%s'",
		ember_last_error());
	blk_image_close(&img);

	make_image(tpath("tiny.img"), 100, 0);
	snprintf(spec, sizeof(spec), "file=%s", tpath("tiny.img"));
	T_EQ(open_drive(&img, spec), -EINVAL);
	T_CHECK(strstr(ember_last_error(), "smaller than 512 bytes"), "got '%s'",
		ember_last_error());
	blk_image_close(&img);

	snprintf(spec, sizeof(spec), "file=/dev/null");
	T_EQ(open_drive(&img, spec), -EINVAL);
	T_CHECK(strstr(ember_last_error(), "not a regular file or block device"), "got '%s'",
		ember_last_error());
	blk_image_close(&img);
}

/* OFD locks belong to the open file description: two opens in one process
 * conflict exactly as two embers do. */
static void test_lock(void)
{
	const char *p = tpath("lock.img");
	make_image(p, 4096, 1);
	char rw[200], ro[200];
	snprintf(rw, sizeof(rw), "file=%s", p);
	snprintf(ro, sizeof(ro), "file=%s,readonly=on", p);
	struct blk_image a, b, c;

	T_EQ(open_drive(&a, rw), 0);
	T_EQ(open_drive(&b, rw), -EBUSY);
	T_CHECK(strstr(ember_last_error(), "lock.img: image is locked"), "got '%s'",
		ember_last_error());
	blk_image_close(&b);
	T_EQ(open_drive(&b, ro), -EBUSY);
	blk_image_close(&b);
	blk_image_close(&a);

	T_EQ(open_drive(&a, ro), 0);
	T_EQ(open_drive(&b, ro), 0); /* readers share */
	T_EQ(open_drive(&c, rw), -EBUSY);
	T_CHECK(strstr(ember_last_error(), "readonly=on shares it"), "got '%s'",
		ember_last_error());
	blk_image_close(&c);
	blk_image_close(&b);
	blk_image_close(&a);
	T_EQ(open_drive(&a, rw), 0); /* closing released it */
	blk_image_close(&a);

	/* cache=none holds the lock too (on its buffered descriptor). */
	snprintf(rw, sizeof(rw), "file=%s,cache=none", p);
	T_EQ(open_drive(&a, rw), 0);
	T_EQ(open_drive(&b, ro), -EBUSY);
	blk_image_close(&b);
	blk_image_close(&a);
}

/* ---- the I/O thread ---- */

struct rig {
	struct blk_image img;
	struct blk_iothread *t;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Work the test hands to process(): */
	struct blk_io *todo[256];
	int ntodo, next;
	int done, failed;
	pid_t process_tid;
};

static void rig_process(void *opaque)
{
	struct rig *r = opaque;
	pthread_mutex_lock(&r->lock);
	r->process_tid = (pid_t)syscall(SYS_gettid);
	while (r->next < r->ntodo && blk_iothread_has_room(r->t)) {
		struct blk_io *io = r->todo[r->next++];
		pthread_mutex_unlock(&r->lock);
		blk_iothread_submit(r->t, io);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
}

static void rig_done(struct blk_io *io)
{
	struct rig *r = io->opaque;
	pthread_mutex_lock(&r->lock);
	r->done++;
	if (io->result)
		r->failed++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static int rig_open(struct rig *r, const char *spec, bool uring)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	int e = open_drive(&r->img, spec);
	if (e)
		return e;
	return blk_iothread_create(&r->t, &r->img, uring, rig_process, r);
}

/* Hand ios to the thread and wait for all of them. */
static int rig_run(struct rig *r, struct blk_io **ios, int n)
{
	pthread_mutex_lock(&r->lock);
	int want = r->done + n;
	for (int i = 0; i < n; i++) {
		ios[i]->done = rig_done;
		ios[i]->opaque = r;
		r->todo[r->ntodo++] = ios[i];
	}
	int failed0 = r->failed;
	pthread_mutex_unlock(&r->lock);
	blk_iothread_notify(r->t);
	pthread_mutex_lock(&r->lock);
	while (r->done < want)
		pthread_cond_wait(&r->cond, &r->lock);
	int failed = r->failed - failed0;
	pthread_mutex_unlock(&r->lock);
	return failed;
}

static int rig_one(struct rig *r, struct blk_io *io)
{
	rig_run(r, &io, 1);
	return io->result;
}

static void rig_close(struct rig *r)
{
	blk_iothread_destroy(r->t);
	blk_image_close(&r->img);
}

/* Many 4 KiB writes in flight, scattered over two iovecs each, then reads
 * of the same blocks; the file's own bytes are the oracle. */
static void rw_round(const char *spec_extra, bool uring, size_t mem_skew, uint64_t off_skew)
{
	const char *p = tpath("rw.img");
	const size_t size = 1 << 20;
	make_image(p, size, 3);
	char spec[200];
	snprintf(spec, sizeof(spec), "file=%s%s", p, spec_extra);
	struct rig r;
	int e = rig_open(&r, spec, uring);
	T_EQ(e, 0);
	if (e)
		return;
	T_EQ(blk_iothread_uring(r.t), uring);
	enum { N = 100, BS = 4096 };
	uint8_t *mem = NULL;
	T_CHECK(posix_memalign((void **)&mem, 4096, (N + 1) * BS * 2) == 0, "no memory");
	uint8_t *src = mem + mem_skew, *dst = mem + (N + 1) * BS + mem_skew;
	struct blk_io ios[N], *pio[N];
	struct iovec iov[N][2];
	for (int i = 0; i < N; i++) {
		for (int k = 0; k < BS; k++)
			src[i * BS + k] = (uint8_t)(i * 31 + k * 5 + 1);
		/* Block i goes to slot (i * 37) % 250, out of order. */
		uint64_t off = (uint64_t)((i * 37) % 250) * BS + off_skew;
		iov[i][0] = (struct iovec){src + i * BS, 1536};
		iov[i][1] = (struct iovec){src + i * BS + 1536, BS - 1536};
		ios[i] = (struct blk_io){
		    .op = BLK_WRITE, .off = off, .len = BS, .iov = iov[i], .niov = 2};
		pio[i] = &ios[i];
	}
	T_EQ(rig_run(&r, pio, N), 0);
	struct blk_io fl = {.op = BLK_FLUSH};
	T_EQ(rig_one(&r, &fl), 0);
	T_CHECK(r.process_tid && r.process_tid != (pid_t)syscall(SYS_gettid),
		"process() ran on the submitting thread");
	uint8_t *chk = malloc(size);
	file_bytes(p, 0, chk, size);
	int bad = 0;
	for (int i = 0; i < N; i++) {
		uint64_t off = (uint64_t)((i * 37) % 250) * BS + off_skew;
		bad += memcmp(chk + off, src + i * BS, BS) != 0;
	}
	T_EQ(bad, 0);
	/* Bytes nobody wrote are as they were. */
	uint64_t end = 250 * (uint64_t)BS + off_skew;
	for (uint64_t i = end; i < size && !bad; i++)
		bad += chk[i] != (uint8_t)(i * 7 + 3);
	T_EQ(bad, 0);
	/* Read them back into other memory. */
	memset(dst, 0, N * BS);
	for (int i = 0; i < N; i++) {
		iov[i][0] = (struct iovec){dst + i * BS, 512};
		iov[i][1] = (struct iovec){dst + i * BS + 512, BS - 512};
		ios[i].op = BLK_READ;
	}
	T_EQ(rig_run(&r, pio, N), 0);
	T_EQ(memcmp(dst, src, N * BS), 0);
	free(chk);
	free(mem);
	rig_close(&r);
}

static void test_rw_uring(void)
{
	rw_round("", true, 0, 0);
}

static void test_rw_sync(void)
{
	rw_round("", false, 0, 0);
}

static void test_rw_cache_none(void)
{
	rw_round(",cache=none", true, 0, 0);
}

/* O_DIRECT with memory off alignment (bounced) and offsets off it (the
 * buffered descriptor): the same bytes land. */
static void test_rw_cache_none_misaligned(void)
{
	rw_round(",cache=none", true, 8, 0);
	rw_round(",cache=none", true, 0, 100);
	rw_round(",cache=none", false, 8, 100);
}

static void test_rw_unsafe(void)
{
	rw_round(",cache=unsafe", true, 0, 0);
}

/* Is [off, off+len) a hole in the file (deallocated)? */
static bool is_hole(const char *path, uint64_t off, uint64_t len)
{
	int fd = open(path, O_RDONLY);
	off_t h = lseek(fd, (off_t)off, SEEK_HOLE);
	off_t d = lseek(fd, (off_t)off, SEEK_DATA);
	close(fd);
	return h == (off_t)off && (d < 0 || (uint64_t)d >= off + len);
}

static void discard_round(bool uring)
{
	const char *p = tpath("discard.img");
	make_image(p, 1 << 20, 5);
	char spec[200];
	snprintf(spec, sizeof(spec), "file=%s", p);
	struct rig r;
	T_EQ(rig_open(&r, spec, uring), 0);
	uint8_t buf[65536], zero[65536] = {0};

	struct blk_io d = {.op = BLK_DISCARD, .off = 65536, .len = 65536};
	T_EQ(rig_one(&r, &d), 0);
	file_bytes(p, 65536, buf, sizeof(buf));
	T_EQ(memcmp(buf, zero, sizeof(buf)), 0);
	T_CHECK(is_hole(p, 65536, 65536), "discard left the range allocated");

	struct blk_io z = {.op = BLK_WRITE_ZEROES, .off = 262144, .len = 65536};
	T_EQ(rig_one(&r, &z), 0);
	file_bytes(p, 262144, buf, sizeof(buf));
	T_EQ(memcmp(buf, zero, sizeof(buf)), 0);
	T_CHECK(!is_hole(p, 262144, 65536), "write zeroes without unmap deallocated");

	struct blk_io zu = {.op = BLK_WRITE_ZEROES, .off = 524288, .len = 65536, .unmap = true};
	T_EQ(rig_one(&r, &zu), 0);
	file_bytes(p, 524288, buf, sizeof(buf));
	T_EQ(memcmp(buf, zero, sizeof(buf)), 0);
	T_CHECK(is_hole(p, 524288, 65536), "write zeroes with unmap kept the range allocated");

	/* Around them, nothing moved. */
	file_bytes(p, 0, buf, sizeof(buf));
	int bad = 0;
	for (size_t i = 0; i < sizeof(buf); i++)
		bad += buf[i] != (uint8_t)(i * 7 + 5);
	file_bytes(p, 131072, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		bad += buf[i] != (uint8_t)((i + 131072) * 7 + 5);
	T_EQ(bad, 0);
	struct stat st;
	stat(p, &st);
	T_EQ(st.st_size, 1 << 20);
	rig_close(&r);
}

static void test_discard_uring(void)
{
	discard_round(true);
}

static void test_discard_sync(void)
{
	discard_round(false);
}

static void test_readonly(void)
{
	const char *p = tpath("ro.img");
	make_image(p, 65536, 9);
	char spec[200];
	snprintf(spec, sizeof(spec), "file=%s,readonly=on", p);
	struct rig r;
	T_EQ(rig_open(&r, spec, true), 0);
	uint8_t b[4096];
	memset(b, 0xAA, sizeof(b));
	struct iovec v = {b, sizeof(b)};
	struct blk_io w = {.op = BLK_WRITE, .off = 0, .len = 4096, .iov = &v, .niov = 1};
	T_EQ(rig_one(&r, &w), -EROFS);
	struct blk_io d = {.op = BLK_DISCARD, .off = 0, .len = 4096};
	T_EQ(rig_one(&r, &d), -EROFS);
	struct blk_io z = {.op = BLK_WRITE_ZEROES, .off = 0, .len = 4096};
	T_EQ(rig_one(&r, &z), -EROFS);
	struct blk_io rd = {.op = BLK_READ, .off = 4096, .len = 4096, .iov = &v, .niov = 1};
	T_EQ(rig_one(&r, &rd), 0);
	int bad = 0;
	for (int i = 0; i < 4096; i++)
		bad += b[i] != (uint8_t)((i + 4096) * 7 + 9);
	T_EQ(bad, 0);
	file_bytes(p, 0, b, sizeof(b));
	for (int i = 0; i < 4096; i++)
		bad += b[i] != (uint8_t)(i * 7 + 9);
	T_EQ(bad, 0);
	rig_close(&r);
}

/* Pause returns only when every request handed over has completed. */
static void test_pause(void)
{
	const char *p = tpath("pause.img");
	make_image(p, 1 << 20, 2);
	char spec[200];
	snprintf(spec, sizeof(spec), "file=%s", p);
	struct rig r;
	T_EQ(rig_open(&r, spec, true), 0);
	enum { N = 200 };
	static uint8_t buf[N][4096];
	static struct iovec v[N];
	static struct blk_io ios[N];
	pthread_mutex_lock(&r.lock);
	for (int i = 0; i < N; i++) {
		v[i] = (struct iovec){buf[i], 4096};
		ios[i] = (struct blk_io){.op = BLK_READ,
					 .off = (uint64_t)(i % 256) * 4096,
					 .iov = &v[i],
					 .niov = 1,
					 .done = rig_done,
					 .opaque = &r};
		r.todo[r.ntodo++] = &ios[i];
	}
	pthread_mutex_unlock(&r.lock);
	blk_iothread_notify(r.t);
	blk_iothread_pause(r.t);
	pthread_mutex_lock(&r.lock);
	int done = r.done, handed = r.next;
	pthread_mutex_unlock(&r.lock);
	T_EQ(done, handed);
	blk_iothread_resume(r.t);
	pthread_mutex_lock(&r.lock);
	while (r.done < N)
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	T_EQ(r.failed, 0);
	rig_close(&r);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "build/tmp-test_block-XXXXXX");
	if (!mkdtemp(dir)) {
		printf("FAIL test_block: cannot create %s\n", dir);
		return 1;
	}
	T_RUN(test_options);
	T_RUN(test_open_refusals);
	T_RUN(test_lock);
	T_RUN(test_rw_uring);
	T_RUN(test_rw_sync);
	T_RUN(test_rw_cache_none);
	T_RUN(test_rw_cache_none_misaligned);
	T_RUN(test_rw_unsafe);
	T_RUN(test_discard_uring);
	T_RUN(test_discard_sync);
	T_RUN(test_readonly);
	T_RUN(test_pause);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "test_block: could not remove %s\n", dir);
	T_EXIT();
}
