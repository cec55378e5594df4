#!/usr/bin/env bash
# trace_timeline.sh - the --timeline file as a browser sees it: headless
# Chromium loads a page that reads the file, JSON.parses it with the
# browser's own parser (an implementation independent of ember's writer)
# and checks the Trace Event Format structure Perfetto and chrome://tracing
# read: a traceEvents array; ph, name, pid, tid on every event; numeric ts;
# dur >= 0 on "X" spans; args on "C" counters.  SKIPs without chromium.
set -u
cd "$(dirname "$0")/../.."
ember=build/ember
rom=build/guests/reset.rom
if [ ! -x "$ember" ] || [ ! -f "$rom" ]; then
	echo "SKIP trace_timeline: $ember or $rom not built (make)"
	exit 0
fi
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
if [ -z "$browser" ]; then
	echo "SKIP trace_timeline: no chromium (apt-get install chromium)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat >"$out/check.html" <<'EOF'
<!doctype html><html><body><pre id="r">pending</pre><script>
function check(text) {
	var d = JSON.parse(text);
	if (!Array.isArray(d.traceEvents)) return "BAD traceEvents is not an array";
	var n = { X: 0, C: 0, i: 0, M: 0 };
	for (var k = 0; k < d.traceEvents.length; k++) {
		var e = d.traceEvents[k];
		if (typeof e.ph !== "string" || typeof e.name !== "string" ||
		    typeof e.pid !== "number" || typeof e.tid !== "number")
			return "BAD event " + k + " lacks ph/name/pid/tid";
		if (!(e.ph in n)) return "BAD event " + k + " has phase " + e.ph;
		n[e.ph]++;
		if (e.ph !== "M" && typeof e.ts !== "number") return "BAD event " + k + " ts";
		if (e.ph === "X" && !(e.dur >= 0)) return "BAD span " + e.name + " dur";
		if (e.ph === "C" && typeof e.args !== "object") return "BAD counter args";
	}
	return "OK " + d.traceEvents.length + " events, " + n.X + " spans, " + n.C +
	       " counters, " + n.i + " instants";
}
var r;
try {
	var x = new XMLHttpRequest();
	x.open("GET", "timeline.json", false);
	x.send();
	r = check(x.responseText);
} catch (err) {
	r = "BAD " + err;
}
document.getElementById("r").textContent = "TIMELINE " + r;
</script></body></html>
EOF
for accel in emu kvm; do
	if [ "$accel" = kvm ] && [ ! -c /dev/kvm ]; then
		echo "SKIP trace_timeline (kvm): /dev/kvm is absent"
		continue
	fi
	timeout 60 "$ember" run --accel "$accel" --mem 128M --serial none --bios "$rom" \
		--timeline "$out/timeline.json" </dev/null >/dev/null 2>&1
	res=$(timeout 60 "$browser" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-extensions --no-first-run \
		--allow-file-access-from-files --user-data-dir="$out/profile" \
		--dump-dom "file://$out/check.html" 2>/dev/null | grep -o 'TIMELINE \(OK\|BAD\) [^<]*' | head -1)
	case $res in
	"TIMELINE OK "*) echo "PASS trace_timeline ($accel): Chromium parsed it: ${res#TIMELINE OK }" ;;
	"") echo "SKIP trace_timeline ($accel): headless Chromium produced no page here" ;;
	*) echo "FAIL trace_timeline ($accel): $res" ;;
	esac
done
