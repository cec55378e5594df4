/*
 * block/options.c - one --drive value, in QEMU's -drive spelling: comma-separated
 * key=value pairs, ",," for a comma inside a value.  Only what ember implements
 * is accepted; anything else is refused by name rather than ignored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "util.h"

const char *blk_cache_name(enum blk_cache c)
{
	switch (c) {
	case BLK_CACHE_WRITEBACK:
		return "writeback";
	case BLK_CACHE_NONE:
		return "none";
	case BLK_CACHE_UNSAFE:
		return "unsafe";
	}
	return "?";
}

/* Next "key=value" of s (advanced past it and its comma) into buf, with ",," as ','. */
static char *next_pair(const char **s, char *buf)
{
	const char *p = *s;
	char *o = buf;
	while (*p) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		}
		*o++ = *p++;
	}
	*o = '\0';
	*s = *p ? p + 1 : p;
	return buf;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

static int parse_pair(const char *arg, char *pair, struct blk_options *o)
{
	char *eq = strchr(pair, '=');
	if (!eq)
		return ember_error(-EINVAL, "--drive %s: '%s' is not key=value (try file=PATH)",
				   arg, pair);
	*eq = '\0';
	const char *k = pair, *v = eq + 1;
	if (!strcmp(k, "file")) {
		if (!*v)
			return ember_error(-EINVAL, "--drive %s: file= is empty", arg);
		free(o->file);
		o->file = strdup(v);
		return o->file ? 0 : ember_error(-ENOMEM, "--drive: out of memory");
	}
	if (!strcmp(k, "format")) {
		if (strcmp(v, "raw"))
			return ember_error(-EINVAL,
					   "--drive %s: format=%s: only raw images are supported "
					   "(convert with: qemu-img convert -O raw IN OUT)",
					   arg, v);
		return 0;
	}
	if (!strcmp(k, "readonly")) {
		if (parse_bool(v, &o->readonly) < 0)
			return ember_error(-EINVAL, "--drive %s: readonly=%s: must be on or off",
					   arg, v);
		return 0;
	}
	if (!strcmp(k, "cache")) {
		if (!strcmp(v, "writeback"))
			o->cache = BLK_CACHE_WRITEBACK;
		else if (!strcmp(v, "none"))
			o->cache = BLK_CACHE_NONE;
		else if (!strcmp(v, "unsafe"))
			o->cache = BLK_CACHE_UNSAFE;
		else
			return ember_error(
			    -EINVAL, "--drive %s: cache=%s: must be writeback, none or unsafe", arg,
			    v);
		return 0;
	}
	if (!strcmp(k, "serial")) {
		size_t n = strlen(v);
		if (n > BLK_SERIAL_MAX)
			return ember_error(
			    -EINVAL,
			    "--drive %s: serial=%s: at most %d characters (virtio-blk's "
			    "ID string)",
			    arg, v, BLK_SERIAL_MAX);
		for (size_t i = 0; i < n; i++)
			if (v[i] < 0x20 || v[i] > 0x7e)
				return ember_error(
				    -EINVAL, "--drive %s: serial=: printable ASCII only", arg);
		memcpy(o->serial, v, n + 1);
		return 0;
	}
	if (!strcmp(k, "if")) {
		if (strcmp(v, "virtio"))
			return ember_error(
			    -EINVAL, "--drive %s: if=%s: only virtio disks are emulated", arg, v);
		return 0;
	}
	return ember_error(
	    -EINVAL, "--drive %s: unknown key '%s' (file, format, readonly, cache, serial, if)",
	    arg, k);
}

int blk_options_parse(const char *arg, struct blk_options *o)
{
	*o = (struct blk_options){.cache = BLK_CACHE_WRITEBACK};
	char *buf = malloc(strlen(arg) + 1);
	if (!buf)
		return ember_error(-ENOMEM, "--drive: out of memory");
	const char *s = arg;
	int r = 0;
	while (*s && r == 0)
		r = parse_pair(arg, next_pair(&s, buf), o);
	free(buf);
	if (r == 0 && !o->file)
		r = ember_error(-EINVAL, "--drive %s: needs file=PATH", arg);
	if (r < 0)
		blk_options_free(o);
	return r;
}

void blk_options_free(struct blk_options *o)
{
	free(o->file);
	o->file = NULL;
}
