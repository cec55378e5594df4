/*
 * test_pic.c - the 8259A pair against the Intel 8259A datasheet: the ICW
 * initialisation sequence Linux uses, fully nested priorities, masking,
 * EOI (specific, non-specific, rotating), automatic EOI, special mask mode,
 * poll mode, cascading through IR2, spurious IR7/IR15, and the ELCR.
 */
#include "devices/pic.h"
#include "t.h"

static void pic_out(struct pic *p, int chip, unsigned port, uint8_t v)
{
	(chip ? &pic_slave_ops : &pic_master_ops)->write(p, port, 1, v);
}

static uint8_t pic_in(struct pic *p, int chip, unsigned port)
{
	return (chip ? &pic_slave_ops : &pic_master_ops)->read(p, port, 1);
}

/* arch/x86/kernel/i8259.c init_8259A(): vectors 0x30 and 0x38. */
static struct pic *pic_linux(uint8_t icw4)
{
	struct pic *p = pic_create();
	pic_out(p, 0, 1, 0xFF);
	pic_out(p, 1, 1, 0xFF);
	pic_out(p, 0, 0, 0x11);
	pic_out(p, 0, 1, 0x30);
	pic_out(p, 0, 1, 0x04); /* slave on IR2 */
	pic_out(p, 0, 1, icw4);
	pic_out(p, 1, 0, 0x11);
	pic_out(p, 1, 1, 0x38);
	pic_out(p, 1, 1, 0x02); /* slave id 2 */
	pic_out(p, 1, 1, icw4);
	pic_out(p, 0, 1, 0x00);
	pic_out(p, 1, 1, 0x00);
	return p;
}

static void pulse(struct pic *p, unsigned irq)
{
	pic_set_irq(p, irq, 1);
	pic_set_irq(p, irq, 0);
}

static uint8_t read_isr(struct pic *p, int chip)
{
	pic_out(p, chip, 0, 0x0B);
	uint8_t v = pic_in(p, chip, 0);
	pic_out(p, chip, 0, 0x0A);
	return v;
}

struct outlog {
	int level, changes;
};

static void out_cb(void *opaque, int level)
{
	struct outlog *o = opaque;
	o->level = level;
	o->changes++;
}

static void test_init_and_deliver(void)
{
	struct pic *p = pic_linux(0x01);
	struct outlog o = {0};
	pic_set_output(p, out_cb, &o);
	T_EQ(pic_in(p, 0, 1), 0x00);
	T_CHECK(!pic_intr_pending(p), "nothing requested yet");
	pulse(p, 0);		     /* edge latched although the line fell again */
	T_EQ(pic_in(p, 0, 0), 0x01); /* IRR (OCW3 default read) */
	T_CHECK(pic_intr_pending(p), "IRQ0 must be pending");
	T_EQ(o.level, 1);
	T_EQ(pic_intr_ack(p), 0x30);
	T_EQ(pic_in(p, 0, 0), 0x00); /* IRR cleared by INTA */
	T_EQ(read_isr(p, 0), 0x01);
	T_EQ(o.level, 0);
	pic_out(p, 0, 0, 0x20); /* non-specific EOI */
	T_EQ(read_isr(p, 0), 0x00);
	T_EQ(o.changes, 2);
	pic_destroy(p);
}

static void test_fully_nested_priority(void)
{
	struct pic *p = pic_linux(0x01);
	pulse(p, 3);
	pulse(p, 1);
	T_EQ(pic_intr_ack(p), 0x31); /* IR1 outranks IR3 */
	T_CHECK(!pic_intr_pending(p), "IR3 is lower than the IR1 in service");
	pulse(p, 0);
	T_CHECK(pic_intr_pending(p), "IR0 outranks the IR1 in service");
	T_EQ(pic_intr_ack(p), 0x30);
	T_EQ(read_isr(p, 0), 0x03);
	pic_out(p, 0, 0, 0x20); /* non-specific EOI clears the highest: IR0 */
	T_EQ(read_isr(p, 0), 0x02);
	T_CHECK(!pic_intr_pending(p), "IR1 still in service");
	pic_out(p, 0, 0, 0x20);
	T_EQ(pic_intr_ack(p), 0x33);
	pic_destroy(p);
}

static void test_masking(void)
{
	struct pic *p = pic_linux(0x01);
	pic_out(p, 0, 1, 0x10);
	pulse(p, 4);
	T_CHECK(!pic_intr_pending(p), "IR4 is masked");
	T_EQ(pic_in(p, 0, 0), 0x10); /* but requested */
	pic_out(p, 0, 1, 0x00);
	T_CHECK(pic_intr_pending(p), "unmasked IR4 must be pending");
	T_EQ(pic_intr_ack(p), 0x34);
	pic_destroy(p);
}

static void test_cascade(void)
{
	struct pic *p = pic_linux(0x01);
	pulse(p, 8 + 4); /* IRQ12 */
	T_CHECK(pic_intr_pending(p), "slave request must reach the master");
	T_EQ(pic_intr_ack(p), 0x3C);
	T_EQ(read_isr(p, 0), 0x04);
	T_EQ(read_isr(p, 1), 0x10);
	pulse(p, 3);
	T_CHECK(!pic_intr_pending(p), "IR3 is below the cascade IR2 in service");
	pic_out(p, 1, 0, 0x20);
	pic_out(p, 0, 0, 0x20);
	T_EQ(pic_intr_ack(p), 0x33);
	/* Masking IR2 on the master hides the whole slave. */
	pic_out(p, 0, 0, 0x20);
	pic_out(p, 0, 1, 0x04);
	pulse(p, 9);
	T_CHECK(!pic_intr_pending(p), "cascade masked");
	pic_destroy(p);
}

static void test_spurious(void)
{
	struct pic *p = pic_linux(0x01);
	/* IRQ3 and IRQ9 level-triggered; the lines drop before INTA. */
	pic_elcr_ops.write(p, 0, 2, 0x0208);
	pic_set_irq(p, 3, 1);
	T_CHECK(pic_intr_pending(p), "level IR3 requested");
	pic_set_irq(p, 3, 0);
	T_CHECK(!pic_intr_pending(p), "level request withdrawn");
	T_EQ(pic_intr_ack(p), 0x37); /* spurious IR7 */
	T_EQ(read_isr(p, 0), 0x00);  /* ...sets no ISR bit */
	pic_set_irq(p, 9, 1);
	T_CHECK(pic_intr_pending(p), "level IRQ9 requested");
	pic_set_irq(p, 9, 0);
	T_EQ(pic_intr_ack(p), 0x3F); /* spurious IR15 */
	T_EQ(read_isr(p, 1), 0x00);
	T_EQ(read_isr(p, 0), 0x04); /* the master did acknowledge IR2 */
	pic_destroy(p);
}

static void test_level_triggered(void)
{
	struct pic *p = pic_linux(0x01);
	pic_elcr_ops.write(p, 1, 1, 0x02); /* IRQ9 */
	pic_set_irq(p, 9, 1);
	T_EQ(pic_intr_ack(p), 0x39);
	pic_out(p, 1, 0, 0x20);
	pic_out(p, 0, 0, 0x20);
	T_CHECK(pic_intr_pending(p), "a level line still high requests again after EOI");
	pic_set_irq(p, 9, 0);
	T_EQ(pic_in(p, 1, 0), 0x00); /* the slave's request follows the line */
	/* The master latched the cascade edge: INTA now finds IR15 spurious. */
	T_EQ(pic_intr_ack(p), 0x3F);
	pic_destroy(p);
}

static void test_auto_eoi(void)
{
	struct pic *p = pic_linux(0x03);
	pulse(p, 5);
	T_EQ(pic_intr_ack(p), 0x35);
	T_EQ(read_isr(p, 0), 0x00);
	pulse(p, 6);
	T_CHECK(pic_intr_pending(p), "nothing in service with AEOI");
	pic_destroy(p);
}

static void test_rotation_and_specific_eoi(void)
{
	struct pic *p = pic_linux(0x01);
	pic_out(p, 0, 0, 0xC4); /* set priority: IR4 lowest, IR5 highest */
	pulse(p, 3);
	pulse(p, 5);
	T_EQ(pic_intr_ack(p), 0x35);
	T_CHECK(!pic_intr_pending(p), "IR3 is now below IR5");
	pic_out(p, 0, 0, 0xA0); /* rotate on non-specific EOI: IR5 lowest */
	T_EQ(pic_intr_ack(p), 0x33);
	pulse(p, 5);
	pulse(p, 7);
	pic_out(p, 0, 0, 0x63); /* specific EOI for IR3 */
	T_EQ(read_isr(p, 0), 0x00);
	T_EQ(pic_intr_ack(p), 0x37); /* IR6 highest now: IR7 before IR5 */
	pic_out(p, 0, 0, 0xE7);	     /* rotate on specific EOI 7: IR0 highest */
	T_EQ(pic_intr_ack(p), 0x35);
	pic_destroy(p);
}

static void test_special_mask_mode(void)
{
	struct pic *p = pic_linux(0x01);
	pulse(p, 1);
	T_EQ(pic_intr_ack(p), 0x31);
	pulse(p, 3);
	T_CHECK(!pic_intr_pending(p), "IR3 inhibited by IR1 in service");
	pic_out(p, 0, 1, 0x02); /* mask the level in service */
	pic_out(p, 0, 0, 0x68); /* OCW3: set special mask */
	T_CHECK(pic_intr_pending(p), "special mask mode enables lower levels");
	T_EQ(pic_intr_ack(p), 0x33);
	pic_destroy(p);
}

static void test_poll(void)
{
	struct pic *p = pic_linux(0x01);
	pic_out(p, 0, 0, 0x0C);
	T_EQ(pic_in(p, 0, 0), 0x00); /* nothing pending */
	pulse(p, 6);
	pic_out(p, 0, 0, 0x0C);
	T_EQ(pic_in(p, 0, 0), 0x86);
	T_EQ(read_isr(p, 0), 0x40);
	T_EQ(pic_in(p, 0, 0), 0x00); /* poll is one read; IRR read again */
	pic_destroy(p);
}

static void test_elcr_reserved_bits(void)
{
	struct pic *p = pic_create();
	pic_elcr_ops.write(p, 0, 2, 0xFFFF);
	T_EQ(pic_elcr_ops.read(p, 0, 2), 0xDEF8); /* IRQ 0, 1, 2, 8, 13: edge only */
	pic_destroy(p);
}

int main(void)
{
	T_RUN(test_init_and_deliver);
	T_RUN(test_fully_nested_priority);
	T_RUN(test_masking);
	T_RUN(test_cascade);
	T_RUN(test_spurious);
	T_RUN(test_level_triggered);
	T_RUN(test_auto_eoi);
	T_RUN(test_rotation_and_specific_eoi);
	T_RUN(test_special_mask_mode);
	T_RUN(test_poll);
	T_RUN(test_elcr_reserved_bits);
	T_EXIT();
}
