/*
 * tools/difftest/fpu.c - the case's x87/SSE state (an FXSAVE image, dt.h)
 * into the emulator's struct x86_state and back.  Not the emulator's own
 * FXSAVE: only the fields the image has.  Layout: SDM vol. 1, 10.5.1.
 */
#include <string.h>

#include "dt.h"

void dt_fx_to_state(struct x86_state *s, const struct dt_fx *fx)
{
	struct x86_fpu *f = &s->fpu;

	f->fcw = fx->fcw;
	f->fsw = fx->fsw;
	f->ftw = fx->ftw;
	f->fop = fx->fop;
	f->fip = fx->fip;
	f->fdp = fx->fdp;
	f->mxcsr = fx->mxcsr;
	memcpy(f->st, fx->st, sizeof(f->st));
	memcpy(f->xmm, fx->xmm, sizeof(f->xmm));
}

void dt_fx_from_state(struct dt_fx *fx, const struct x86_state *s)
{
	const struct x86_fpu *f = &s->fpu;

	memset(fx, 0, sizeof(*fx));
	fx->fcw = f->fcw;
	fx->fsw = f->fsw;
	fx->ftw = f->ftw;
	fx->fop = f->fop;
	fx->fip = f->fip;
	fx->fdp = f->fdp;
	fx->mxcsr = f->mxcsr;
	memcpy(fx->st, f->st, sizeof(fx->st));
	memcpy(fx->xmm, f->xmm, sizeof(fx->xmm));
}
