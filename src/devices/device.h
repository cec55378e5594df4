/*
 * devices/device.h - the device life cycle every model offers, and the one
 * registry the VM keeps of them (see ARCHITECTURE.md, "Device life cycle").
 * A model X provides
 *     struct X *X_create(...);                  power-on state
 *     void   X_reset(struct X *);                 back to it (a system reset)
 *     size_t X_save(const struct X *, void *buf, size_t len);
 *                                                 bytes needed; writes them when len allows
 *     int    X_load(struct X *, const void *buf, size_t len);
 *                                                 0, or -EINVAL with the state unchanged
 *     void   X_destroy(struct X *);
 * and DEVICE_OPS(X) turns those into the struct device_ops the registry
 * calls.  Save and load run with the vCPUs stopped; a buffer is a 32-bit
 * magic naming the model and version, then the model's fields.
 */
#ifndef EMBER_DEVICES_DEVICE_H
#define EMBER_DEVICES_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct device_ops {
	void (*reset)(void *dev);
	size_t (*save)(const void *dev, void *buf, size_t len);
	int (*load)(void *dev, const void *buf, size_t len);
	void (*destroy)(void *dev);
};

/* The typed adapters of model X's five functions. */
#define DEVICE_OPS(X)                                                                              \
	static void X##_dev_reset(void *d)                                                         \
	{                                                                                          \
		X##_reset(d);                                                                      \
	}                                                                                          \
	static size_t X##_dev_save(const void *d, void *buf, size_t len)                           \
	{                                                                                          \
		return X##_save(d, buf, len);                                                      \
	}                                                                                          \
	static int X##_dev_load(void *d, const void *buf, size_t len)                              \
	{                                                                                          \
		return X##_load(d, buf, len);                                                      \
	}                                                                                          \
	static void X##_dev_destroy(void *d)                                                       \
	{                                                                                          \
		X##_destroy(d);                                                                    \
	}                                                                                          \
	const struct device_ops X##_device_ops = {.reset = X##_dev_reset,                          \
						  .save = X##_dev_save,                            \
						  .load = X##_dev_load,                            \
						  .destroy = X##_dev_destroy}

/* One registered device instance. */
struct device {
	const char *name;
	void *dev;
	const struct device_ops *ops;
};

/*
 * The VM's devices in creation order.  Destroyed in reverse; reset and
 * save in order.  A saved machine is, per device: its name's length (u8),
 * the name, the state's length (u32), the state.
 */
#define DEVICE_MAX 96 /* 64 local APICs and the rest */
struct device_registry {
	struct device dev[DEVICE_MAX];
	int n;
};

/* 0, or -ENOSPC. */
int device_add(struct device_registry *reg, const char *name, void *dev,
	       const struct device_ops *ops);
void device_reset_all(struct device_registry *reg);
/* Bytes needed; written when len allows (buf NULL: just the size). */
size_t device_save_all(const struct device_registry *reg, void *buf, size_t len);
/* Every device from a buffer device_save_all() wrote for the same machine:
 * 0, or -EINVAL naming nothing changed only when the buffer's framing is
 * wrong; a device refusing its part leaves the ones before it loaded. */
int device_load_all(struct device_registry *reg, const void *buf, size_t len);
void device_destroy_all(struct device_registry *reg);

/*
 * Field serialisation for the models: one visit function lists a model's
 * state fields once, and serves both directions.  Saving with buf NULL
 * only counts.  Loading records a short buffer or an invalid bool.
 */
struct device_io {
	uint8_t *buf;
	size_t len, pos;
	bool load, bad;
};

void device_io_bytes(struct device_io *io, void *field, size_t n);
void device_io_bool(struct device_io *io, bool *field);
#define DEVICE_IO(io, field) device_io_bytes((io), &(field), sizeof(field))

/*
 * Save: magic, then visit(dev).  Load: check the magic, visit(dev) from the
 * buffer, and keep the result only if the whole buffer was used and
 * valid(dev) accepts it; otherwise put the previous state back and return
 * -EINVAL.  The caller holds the model's lock for load.
 */
size_t device_save_fields(const void *dev, uint32_t magic,
			  void (*visit)(void *dev, struct device_io *io), void *buf, size_t len);
int device_load_fields(void *dev, uint32_t magic, void (*visit)(void *dev, struct device_io *io),
		       bool (*valid)(const void *dev), const void *buf, size_t len);

#endif
