#!/usr/bin/env bash
# console.sh - the serial console end to end: a 64 KiB ROM that echoes every
# byte it reads from COM1 (polling LSR.DR) and writes 0x21 to the test-exit
# port on 'q', run with --serial stdio.  Checks: piped stdin reaches the
# guest and its echo reaches stdout, exit status (0x21 << 1) | 1 = 67; EOF
# on stdin leaves the guest running; on a pseudo-terminal, raw mode (no
# local echo, Ctrl-C to the guest), Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A B
# a break (read as NUL), Ctrl-A X
# exits 0, SIGTERM exits 0, and the terminal is restored both times.
set -u
cd "$(dirname "$0")/../.."
ember=build/ember
if [ ! -x "$ember" ] || ! "$ember" --help 2>&1 | grep -q -- '--serial'; then
	echo "SKIP console: 'ember run' is not built"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rom=$tmp/echo.rom

# Real-mode code at F000:FF00, entered from the reset vector F000:FFF0.
head -c 65536 /dev/zero >"$rom"
code='\xba\xfd\x03'        # FF00 mov dx, 3FDh (LSR)
code+='\xec'               # FF03 in al, dx
code+='\xa8\x01'           # FF04 test al, 1 (DR)
code+='\x74\xfb'           # FF06 jz FF03
code+='\xba\xf8\x03'       # FF08 mov dx, 3F8h (RBR/THR)
code+='\xec'               # FF0B in al, dx
code+='\x3c\x71'           # FF0C cmp al, 'q'
code+='\x74\x03'           # FF0E je FF13
code+='\xee'               # FF10 out dx, al
code+='\xeb\xed'           # FF11 jmp FF00
code+='\xb0\x21'           # FF13 mov al, 21h
code+='\xe6\xf4'           # FF15 out F4h, al (test exit)
code+='\xf4'               # FF17 hlt
code+='\xeb\xfd'           # FF18 jmp FF17
printf "$code" | dd of="$rom" bs=1 seek=$((0xff00)) conv=notrunc status=none
printf '\xe9\x0d\xff' | dd of="$rom" bs=1 seek=$((0xfff0)) conv=notrunc status=none # jmp FF00

for accel in kvm emu; do
	if [ "$accel" = kvm ] && [ ! -c /dev/kvm ]; then
		echo "SKIP console ($accel): /dev/kvm is absent on this host"
		continue
	fi
	args=(run --accel "$accel" --mem 16M --bios "$rom" --serial stdio)
	printf 'hello q' | timeout 60 "$ember" "${args[@]}" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 67 ] && [ "$(cat "$tmp/out")" = "hello " ]; then
		echo "PASS console-pipe ($accel): stdin -> COM1 -> guest echo -> stdout, exit 67"
	else
		echo "FAIL console-pipe ($accel): status $rc (want 67), stdout '$(cat "$tmp/out")' (want 'hello ')"
		cat "$tmp/err" >&2
	fi

	printf 'ab' | timeout 5 "$ember" "${args[@]}" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 124 ] && [ "$(cat "$tmp/out")" = "ab" ]; then
		echo "PASS console-eof ($accel): the guest keeps running after EOF on stdin"
	else
		echo "FAIL console-eof ($accel): status $rc (want 124 from timeout), stdout '$(cat "$tmp/out")'"
		cat "$tmp/err" >&2
	fi

	for how in ctrl-a-x sigterm; do
		EMBER="$ember" HOW=$how python3 - "${args[@]}" <<'PY'
import os, pty, select, signal, sys, termios, time

how = os.environ["HOW"]
name = "console-pty-%s (%s)" % (how, sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    os.execv(os.environ["EMBER"], ["ember"] + sys.argv[1:])
out = b""

def pump(until, t=10.0):
    global out
    end = time.time() + t
    while time.time() < end and until not in out:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return

def fail(msg):
    print("FAIL %s: %s (output %r)" % (name, msg, out))
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    sys.exit(0)

RAW_OFF = termios.ICANON | termios.ECHO | termios.ISIG
end = time.time() + 10
while time.time() < end and termios.tcgetattr(fd)[3] & RAW_OFF:
    pump(b"\xff", 0.05)
if termios.tcgetattr(fd)[3] & RAW_OFF:
    fail("terminal not in raw mode while the guest runs")
# Ctrl-C and Ctrl-A Ctrl-A go to the guest; Ctrl-A B is a break, which the
# guest reads as a zero byte.
os.write(fd, b"xyz\x03\x01\x01\x01b")
pump(b"xyz\x03\x01\x00")
if b"xyz\x03\x01\x00" not in out or out.count(b"xyz") != 1:
    fail("expected exactly one (guest) echo of xyz^C^A and a NUL for the break")
if how == "ctrl-a-x":
    os.write(fd, b"\x01x")
else:
    os.kill(pid, signal.SIGTERM)
end = time.time() + 10
while time.time() < end:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    pump(b"\xff", 0.05)
else:
    fail("ember did not stop")
rc = os.waitstatus_to_exitcode(st)
if rc != 0:
    fail("exit status %d, want 0" % rc)
# The master side still reads the pty's settings after ember has gone.
if termios.tcgetattr(fd)[3] & RAW_OFF != RAW_OFF:
    fail("terminal left in raw mode")
print("PASS %s: raw mode, escapes, exit 0, terminal restored" % name)
PY
	done
done
