#!/usr/bin/env bash
# devices.sh - device interrupts end to end, on both engines (KVM's in-kernel
# PIC and ember's own 8259A under emu): small real-mode ROMs from
# tests/devices/*.S, assembled here with binutils.
#   uartirq: COM1 receive and THRE interrupts on IRQ4 (input written once the
#            guest says it is ready; bytes echoed as "[c]", 't' sends "tx!"
#            by THRE interrupts; 'q' exits 67)
#   rtcirq:  ten RTC periodic interrupts on IRQ8 via the slave PIC (exit 33)
#   kbdirq:  i8042 self-test, keyboard identify bytes one per IRQ1, then the
#            0xFE pulse-reset command (exit 0: the guest reset)
set -u
cd "$(dirname "$0")/../.."
ember=build/ember
if [ ! -x "$ember" ] || ! "$ember" --help 2>&1 | grep -q -- '--bios'; then
	echo "SKIP devices: 'ember run' is not built"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in uartirq rtcirq kbdirq; do
	if ! as --32 -o "$tmp/$r.o" "tests/devices/$r.S" 2>"$tmp/as.err" ||
		! ld -m elf_i386 -Ttext=0 -e 0 --oformat binary -o "$tmp/$r.rom" "$tmp/$r.o" 2>>"$tmp/as.err"; then
		echo "FAIL devices: cannot assemble tests/devices/$r.S: $(head -1 "$tmp/as.err")"
		exit 0
	fi
done

for accel in kvm emu; do
	if [ "$accel" = kvm ] && [ ! -c /dev/kvm ]; then
		echo "SKIP devices ($accel): /dev/kvm is absent on this host"
		continue
	fi
	args=(run --accel "$accel" --mem 16M --serial stdio)
	timeout 20 "$ember" "${args[@]}" --bios "$tmp/rtcirq.rom" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 33 ] && [ "$(cat "$tmp/out")" = ok ]; then
		echo "PASS devices-rtc-irq8 ($accel): 10 periodic interrupts through the slave PIC"
	else
		echo "FAIL devices-rtc-irq8 ($accel): status $rc (want 33), output '$(cat "$tmp/out")'"
		cat "$tmp/err" >&2
	fi

	timeout 20 "$ember" "${args[@]}" --bios "$tmp/kbdirq.rom" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "55 fa ab 41 " ]; then
		echo "PASS devices-i8042-irq1 ($accel): self-test, identify by IRQ1, reset exits 0"
	else
		echo "FAIL devices-i8042-irq1 ($accel): status $rc (want 0), output '$(cat "$tmp/out")'"
		cat "$tmp/err" >&2
	fi

	EMBER="$ember" python3 - "$accel" "${args[@]}" --bios "$tmp/uartirq.rom" <<'PY'
import os, select, subprocess, sys, time

accel = sys.argv[1]
name = "devices-uart-irq4 (%s)" % accel
p = subprocess.Popen([os.environ["EMBER"]] + sys.argv[2:], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
out = b""

def read_until(want, t=10.0):
    global out
    end = time.time() + t
    while time.time() < end and want not in out:
        r, _, _ = select.select([p.stdout], [], [], 0.05)
        if r:
            b = os.read(p.stdout.fileno(), 4096)
            if not b:
                return
            out += b

read_until(b">")  # the guest programmed the UART: input now reaches it
p.stdin.write(b"ab")
p.stdin.flush()
read_until(b"[a][b]")
p.stdin.write(b"t")
p.stdin.flush()
read_until(b"tx!")
p.stdin.write(b"cq")
p.stdin.flush()
try:
    rc = p.wait(10)
except subprocess.TimeoutExpired:
    p.kill()
    rc = None
read_until(b"\xff", 0.2)
if rc == 67 and out == b">[a][b]tx![c]":
    print("PASS %s: RDA and THRE interrupts, IIR identification, exit 67" % name)
else:
    print("FAIL %s: status %s (want 67), output %r (want '>[a][b]tx![c]')" % (name, rc, out))
PY
done
