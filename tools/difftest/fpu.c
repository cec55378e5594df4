/*
 * tools/difftest/fpu.c - the case's x87/SSE state (an FXSAVE image, dt.h)
 * into the emulator's struct x86_state and back, through the emulator's own
 * XSAVE-area conversion (x86_fpu_load_image/x86_fpu_save_image), so that how
 * the state keeps its registers stays the emulator's business.  Layout: SDM
 * vol. 1, 10.5.1 and 13.4.
 */
#include <string.h>

#include "dt.h"

/* The legacy region, then the XSAVE header: XSTATE_BV = x87 | SSE. */
#define FPU_IMAGE 576

void dt_fx_to_state(struct x86_state *s, const struct dt_fx *fx)
{
	uint8_t img[FPU_IMAGE] = {0};

	memcpy(img, fx, sizeof(*fx));
	img[512] = 3;
	/* Refused only for reserved MXCSR bits, which the native side reports
	 * as engine trouble for the same case. */
	x86_fpu_load_image(s, img, sizeof(img));
}

void dt_fx_from_state(struct dt_fx *fx, const struct x86_state *s)
{
	uint8_t img[FPU_IMAGE];

	x86_fpu_save_image(s, img, sizeof(img));
	memcpy(fx, img, sizeof(*fx));
}
