/*
 * i8042.c - keyboard controller, dummy keyboard and port 0x92 (see
 * i8042.h).  Commands complete instantly, so the input buffer is never
 * full.  The missing mouse port answers so that Linux's i8042 driver gives
 * up on it at once instead of waiting for timeouts: the AUX loopback
 * command (0xD3) echoes as keyboard data, without the AUX status bit, and
 * the AUX interface test (0xA9) reports 0x02, "clock line stuck low".
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/device.h"
#include "devices/i8042.h"

#define STAT_OBF  0x01 /* output buffer full */
#define STAT_SYS  0x04 /* system flag, mirrors command byte bit 2 */
#define STAT_A2	  0x08 /* last write was to 0x64 (a command) */
#define STAT_INH  0x10 /* 1 = keyboard not inhibited by the keylock */
#define STAT_AUXB 0x20 /* the output byte is from the AUX port */

#define CTR_KBDINT 0x01
#define CTR_SYS	   0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE  0x40

#define OUT_RESET 0x01 /* active low: 0 holds the CPU in reset */
#define OUT_A20	  0x02
#define OUT_OBF	  0x10 /* IRQ1 */

#define P92_RESET 0x01
#define P92_A20	  0x02

#define QUEUE_SIZE 16

struct i8042 {
	pthread_mutex_t lock;
	struct i8042_ops ops;
	void *opaque;
	uint8_t ram[32]; /* ram[0] is the command byte */
	uint8_t status_a2;
	uint8_t out_port;
	uint8_t port92;
	uint8_t pending;     /* controller command waiting for its data byte */
	uint8_t kbd_pending; /* keyboard command waiting for its parameter */
	uint8_t queue[QUEUE_SIZE];
	unsigned head, count;
	int irq_level;
};

/* A20M# follows the gate: the output port's bit OR port 0x92's (PIIX). */
static void i8042_a20_sync(struct i8042 *k)
{
	if (k->ops.a20)
		k->ops.a20(k->opaque, (k->out_port & OUT_A20) || (k->port92 & P92_A20));
}

static void i8042_update_irq(struct i8042 *k)
{
	int level = k->count && (k->ram[0] & CTR_KBDINT);
	if (level != k->irq_level) {
		k->irq_level = level;
		if (k->ops.irq)
			k->ops.irq(k->opaque, level);
	}
}

static void i8042_queue(struct i8042 *k, uint8_t b)
{
	if (k->count == QUEUE_SIZE)
		return;
	k->queue[(k->head + k->count) % QUEUE_SIZE] = b;
	k->count++;
}

static void i8042_reset_line(struct i8042 *k, const char *why)
{
	if (k->ops.reset)
		k->ops.reset(k->opaque, why);
}

/* The keyboard's answers (IBM keyboard command set, scan code set 2). */
static void i8042_kbd_command(struct i8042 *k, uint8_t val)
{
	if (k->kbd_pending) {
		uint8_t cmd = k->kbd_pending;
		k->kbd_pending = 0;
		i8042_queue(k, 0xFA);
		if (cmd == 0xF0 && val == 0)
			i8042_queue(k, 0x02); /* current scan code set */
		return;
	}
	switch (val) {
	case 0xED: /* set LEDs */
	case 0xF3: /* set typematic rate */
	case 0xF0: /* select scan code set */
		k->kbd_pending = val;
		i8042_queue(k, 0xFA);
		break;
	case 0xEE: /* echo */
		i8042_queue(k, 0xEE);
		break;
	case 0xF2: /* identify: MF2 keyboard, 0x83 becomes 0x41 when translated */
		i8042_queue(k, 0xFA);
		i8042_queue(k, 0xAB);
		i8042_queue(k, (k->ram[0] & CTR_XLATE) ? 0x41 : 0x83);
		break;
	case 0xFF: /* reset: ACK, then basic assurance test passed */
		i8042_queue(k, 0xFA);
		i8042_queue(k, 0xAA);
		break;
	default: /* enable, disable, defaults, typematic modes, resend */
		i8042_queue(k, 0xFA);
		break;
	}
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	if (cmd >= 0x20 && cmd <= 0x3F) { /* read controller RAM */
		i8042_queue(k, k->ram[cmd & 0x1F]);
		return;
	}
	if ((cmd >= 0x60 && cmd <= 0x7F) || (cmd >= 0xD1 && cmd <= 0xD4)) {
		k->pending = cmd;
		return;
	}
	if (cmd >= 0xF0) { /* pulse output port bits whose mask bit is 0 */
		if (!(cmd & OUT_RESET))
			i8042_reset_line(k, "i8042 reset");
		return;
	}
	switch (cmd) {
	case 0xA7:
		k->ram[0] |= CTR_AUXDIS;
		break;
	case 0xA8:
		k->ram[0] &= ~CTR_AUXDIS;
		break;
	case 0xA9: /* AUX interface test: clock line stuck low, no port */
		i8042_queue(k, 0x02);
		break;
	case 0xAA: /* controller self-test passed */
		i8042_queue(k, 0x55);
		break;
	case 0xAB: /* keyboard interface test: no error */
		i8042_queue(k, 0x00);
		break;
	case 0xAD:
		k->ram[0] |= CTR_KBDDIS;
		break;
	case 0xAE:
		k->ram[0] &= ~CTR_KBDDIS;
		break;
	case 0xC0: /* input port: keyboard not inhibited */
		i8042_queue(k, 0x80);
		break;
	case 0xD0:
		i8042_queue(k, k->out_port | (k->count ? OUT_OBF : 0));
		break;
	case 0xDD:
		k->out_port &= ~OUT_A20;
		break;
	case 0xDF:
		k->out_port |= OUT_A20;
		break;
	case 0xE0: /* test inputs */
		i8042_queue(k, 0x00);
		break;
	default: /* unknown commands are ignored, as the 8042 firmware does */
		break;
	}
}

static void i8042_data_write(struct i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	if (!cmd) {
		i8042_kbd_command(k, val);
		return;
	}
	if (cmd >= 0x60 && cmd <= 0x7F) {
		k->ram[cmd & 0x1F] = val;
		return;
	}
	switch (cmd) {
	case 0xD1: /* write output port */
		k->out_port = val;
		if (!(val & OUT_RESET))
			i8042_reset_line(k, "i8042 output port reset");
		break;
	case 0xD2: /* as if the keyboard sent it */
	case 0xD3: /* AUX loopback: no AUX port, so it comes back as keyboard data */
		i8042_queue(k, val);
		break;
	default: /* 0xD4: to the AUX device, which is absent */
		break;
	}
}

struct i8042 *i8042_create(const struct i8042_ops *ops, void *opaque)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	pthread_mutex_init(&k->lock, NULL);
	if (ops)
		k->ops = *ops;
	k->opaque = opaque;
	i8042_reset(k);
	return k;
}

void i8042_reset(struct i8042 *k)
{
	pthread_mutex_lock(&k->lock);
	memset(k->ram, 0, sizeof(k->ram));
	/* What a PC BIOS leaves: keyboard interrupt, POST passed, translation. */
	k->ram[0] = CTR_KBDINT | CTR_SYS | CTR_XLATE;
	k->status_a2 = 0;
	k->out_port = 0xC0 | OUT_A20 | OUT_RESET;
	k->port92 = P92_A20;
	k->pending = k->kbd_pending = 0;
	k->head = k->count = 0;
	i8042_update_irq(k);
	i8042_a20_sync(k);
	pthread_mutex_unlock(&k->lock);
}

#define I8042_SAVE_MAGIC 0x4B424331u /* "KBC1" */

static void i8042_visit(void *dev, struct device_io *io)
{
	struct i8042 *k = dev;
	DEVICE_IO(io, k->ram);
	DEVICE_IO(io, k->status_a2);
	DEVICE_IO(io, k->out_port);
	DEVICE_IO(io, k->port92);
	DEVICE_IO(io, k->pending);
	DEVICE_IO(io, k->kbd_pending);
	DEVICE_IO(io, k->queue);
	DEVICE_IO(io, k->head);
	DEVICE_IO(io, k->count);
}

static bool i8042_valid(const void *dev)
{
	const struct i8042 *k = dev;
	return k->head < QUEUE_SIZE && k->count <= QUEUE_SIZE;
}

size_t i8042_save(const struct i8042 *k, void *buf, size_t len)
{
	return device_save_fields(k, I8042_SAVE_MAGIC, i8042_visit, buf, len);
}

int i8042_load(struct i8042 *k, const void *buf, size_t len)
{
	pthread_mutex_lock(&k->lock);
	int r = device_load_fields(k, I8042_SAVE_MAGIC, i8042_visit, i8042_valid, buf, len);
	i8042_update_irq(k);
	i8042_a20_sync(k);
	pthread_mutex_unlock(&k->lock);
	return r;
}

DEVICE_OPS(i8042);

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static uint64_t i8042_data_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8042 *k = opaque;
	pthread_mutex_lock(&k->lock);
	uint8_t v = k->queue[k->head]; /* an empty buffer reads the last byte */
	if (k->count) {
		k->head = (k->head + 1) % QUEUE_SIZE;
		k->count--;
		/* The read empties the output buffer and the next byte is loaded
		 * after it: IRQ 1 falls and rises again, a new edge for the PIC
		 * (Linux's handler reads one byte per interrupt). */
		if (k->irq_level) {
			k->irq_level = 0;
			if (k->ops.irq)
				k->ops.irq(k->opaque, 0);
		}
	}
	i8042_update_irq(k);
	pthread_mutex_unlock(&k->lock);
	return v;
}

static void i8042_data_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct i8042 *k = opaque;
	pthread_mutex_lock(&k->lock);
	k->status_a2 = 0;
	i8042_data_write(k, val);
	i8042_update_irq(k);
	i8042_a20_sync(k);
	pthread_mutex_unlock(&k->lock);
}

static uint64_t i8042_status_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8042 *k = opaque;
	pthread_mutex_lock(&k->lock);
	uint8_t v = (k->count ? STAT_OBF : 0) | (k->ram[0] & CTR_SYS ? STAT_SYS : 0) |
		    k->status_a2 | STAT_INH;
	pthread_mutex_unlock(&k->lock);
	return v;
}

static void i8042_cmd_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct i8042 *k = opaque;
	pthread_mutex_lock(&k->lock);
	k->status_a2 = STAT_A2;
	k->pending = 0;
	i8042_command(k, val);
	i8042_update_irq(k);
	i8042_a20_sync(k);
	pthread_mutex_unlock(&k->lock);
}

static uint64_t i8042_port92_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8042 *k = opaque;
	pthread_mutex_lock(&k->lock);
	uint8_t v = k->port92;
	pthread_mutex_unlock(&k->lock);
	return v;
}

static void i8042_port92_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct i8042 *k = opaque;
	pthread_mutex_lock(&k->lock);
	bool rise = (val & P92_RESET) && !(k->port92 & P92_RESET);
	k->port92 = val & (P92_RESET | P92_A20);
	i8042_a20_sync(k);
	if (rise) /* a 0 -> 1 transition of bit 0 resets the CPU */
		i8042_reset_line(k, "port 0x92 reset");
	pthread_mutex_unlock(&k->lock);
}

const struct bus_ops i8042_data_ops = {.read = i8042_data_read, .write = i8042_data_bus_write};
const struct bus_ops i8042_cmd_ops = {.read = i8042_status_read, .write = i8042_cmd_write};
const struct bus_ops i8042_port92_ops = {.read = i8042_port92_read, .write = i8042_port92_write};
