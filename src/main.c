/*
 * main.c - ember's command line: parses options into struct vm_config,
 * chooses the engine for this host, runs the machine and turns how it
 * stopped into the exit status.  The only file that ends the process.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "hostinfo.h"
#include "stats.h"
#include "trace/profile.h"
#include "trace/trace.h"
#include "util.h"
#include "vm.h"
#include "x86/x86.h"

#define EMBER_VERSION "0.1"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ember run [options]          run a virtual machine\n"
		"       ember host                   what this host's virtualization can do\n"
		"       ember extract-vmlinux BZIMAGE OUT\n"
		"                                    decompress a bzImage's kernel to an ELF vmlinux\n"
		"       ember --version | --help\n"
		"\n"
		"options for run (QEMU/kvmtool spellings):\n"
		"  --kernel FILE       Linux bzImage, vmlinux with a PVH note, or multiboot ELF\n"
		"  --initrd FILE       initramfs (Linux) or module (multiboot); without it, the\n"
		"                      initramfs.cpio.gz beside the kernel if there is one\n"
		"  --append STR        kernel command line\n"
		"  --bios FILE         raw firmware ROM, mapped below 4 GiB; starts at the reset vector\n"
		"  --mem SIZE          guest RAM, e.g. 512M, 2G (plain numbers are MiB; default 256M)\n"
		"  --cpus N            number of vCPUs (default 1)\n"
		"  --accel kvm|emu|auto\n"
		"                      kvm: /dev/kvm; emu: ember's x86 emulator; auto (default): kvm\n"
		"                      where it runs guest kernels natively, else emu\n"
		"  --emu-mode interp|jit\n"
		"                      emu: run 64-bit guest code translated to host code (jit, the\n"
		"                      default) or in the interpreter (interp, the reference); the\n"
		"                      default from the environment variable EMBER_EMU_MODE\n"
		"  --clock host|virtual\n"
		"                      guest time: host (default) follows the host's clock;\n"
		"                      virtual (emu only) counts instructions retired, 1 ns each,\n"
		"                      and skips idle time: a run repeats exactly given the same input\n"
		"  --serial stdio|none|file:PATH\n"
		"                      where COM1 goes (default stdio; Ctrl-A X quits, Ctrl-A H helps)\n"
		"  --drive file=PATH[,format=raw][,readonly=on][,cache=writeback|none|unsafe][,serial=S]\n"
		"                      a virtio disk (repeat for /dev/vdb...); cache: writeback\n"
		"                      (default; a guest flush is fdatasync), none (O_DIRECT),\n"
		"                      unsafe (guest flushes ignored)\n"
		"  --net none|user[,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...\n"
		"            [,mac=MAC][,mtu=N] | tap,ifname=NAME[,mac=MAC]\n"
		"                      a virtio-net card: user (QEMU's user network through\n"
		"                      libslirp: guest 10.0.2.15, host 10.0.2.2, DNS 10.0.2.3),\n"
		"                      tap (a host tap device), none (default)\n"
		"  --debugcon stdio|stderr|none|file:PATH\n"
		"                      where debug ports 0xe9 and 0x402 go (default: kept in memory)\n"
		"  --stats             print exit, I/O and timing statistics when the guest stops\n"
		"  --stats-json FILE   the same statistics as JSON (schema ember-stats-1, README)\n"
		"  --trace EVENTS      trace events, a comma list or 'all': exit, pio, mmio, cr, msr,\n"
		"                      cpuid, irq, exception, mode, post, insn; histograms at exit\n"
		"  --trace-file FILE   where trace lines go (default stderr)\n"
		"  --trace-syntax intel|att\n"
		"                      disassembly syntax in traces (default intel)\n"
		"  --trace-first N     print the first N instructions from the reset vector with\n"
		"                      segment state, linear and physical fetch address\n"
		"  --timeline FILE     Chrome trace-event JSON of the run (opens in Perfetto)\n"
		"  --profile FILE      emu: sample the guest's RIP, write a flat profile by symbol\n"
		"                      to FILE and flame-graph folded stacks to FILE.folded\n"
		"  --profile-period N  one sample every N instructions retired (default 10007)\n"
		"  --symbols FILE      the guest kernel's symbols for --profile: an ELF with .symtab\n"
		"                      or a System.map (default: --kernel's own .symtab, if any)\n"
		"  --help              this text\n"
		"\n"
		"exit status: 0 guest powered off or reset (or Ctrl-A X); (v << 1) | 1 when the\n"
		"guest writes v to the test-exit port 0xf4; 2 host-side error (bad option or file,\n"
		"no KVM); 4 guest crash (triple fault); 6 KVM internal error (e.g. emulation\n"
		"failure); 8 the chosen engine cannot run this guest on this host.\n");
}

enum {
	OPT_KERNEL = 256,
	OPT_INITRD,
	OPT_APPEND,
	OPT_BIOS,
	OPT_MEM,
	OPT_CPUS,
	OPT_ACCEL,
	OPT_EMU_MODE,
	OPT_CLOCK,
	OPT_SERIAL,
	OPT_DEBUGCON,
	OPT_DRIVE,
	OPT_NET,
	OPT_STATS,
	OPT_STATS_JSON,
	OPT_TRACE,
	OPT_TRACE_FILE,
	OPT_TRACE_SYNTAX,
	OPT_TRACE_FIRST,
	OPT_TIMELINE,
	OPT_PROFILE,
	OPT_PROFILE_PERIOD,
	OPT_SYMBOLS,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "bios", required_argument, NULL, OPT_BIOS },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "emu-mode", required_argument, NULL, OPT_EMU_MODE },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "debugcon", required_argument, NULL, OPT_DEBUGCON },
	{ "drive", required_argument, NULL, OPT_DRIVE },
	{ "net", required_argument, NULL, OPT_NET },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "trace-file", required_argument, NULL, OPT_TRACE_FILE },
	{ "trace-syntax", required_argument, NULL, OPT_TRACE_SYNTAX },
	{ "trace-first", required_argument, NULL, OPT_TRACE_FIRST },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "profile-period", required_argument, NULL, OPT_PROFILE_PERIOD },
	{ "symbols", required_argument, NULL, OPT_SYMBOLS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int bad_option(const char *fmt, const char *arg)
{
	fprintf(stderr, "ember: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'ember --help')\n");
	return EXIT_HOST_ERROR;
}

/* --mem: QEMU's convention, a plain number is MiB. */
static int parse_mem(const char *arg, uint64_t *out)
{
	char buf[64];
	size_t n = strlen(arg);
	if (n && n < sizeof(buf) - 1 && arg[n - 1] >= '0' && arg[n - 1] <= '9') {
		snprintf(buf, sizeof(buf), "%sM", arg);
		arg = buf;
	}
	if (parse_size(arg, out) < 0)
		return -EINVAL;
	if (*out < (2ULL << 20) || *out > (1ULL << 40) || (*out & 0xFFF))
		return -ERANGE;
	return 0;
}

/*
 * The initramfs.cpio.gz in the kernel's directory, or NULL if there is none:
 * ember's default guest (guest/) pairs Debian's kernel, whose disk, network
 * and file-system drivers are modules, with the initramfs that loads them,
 * so `--kernel guest/vmlinuz --drive ... --append root=/dev/vda` boots.
 */
static const char *initrd_beside(const char *kernel)
{
	static char path[4096];
	const char *slash = strrchr(kernel, '/');
	int dir = slash ? (int)(slash - kernel) + 1 : 0;
	struct stat st;
	if (snprintf(path, sizeof(path), "%.*sinitramfs.cpio.gz", dir, kernel) >=
	    (int)sizeof(path))
		return NULL;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? path : NULL;
}

static int parse_run(int argc, char **argv, struct vm_config *cfg)
{
	*cfg = (struct vm_config){ .mem_bytes = 256ULL << 20, .cpus = 1, .accel = ACCEL_AUTO,
				   .emu_mode = -1, .serial = SERIAL_STDIO };
	int c, r;
	bool has_net = false;
	net_config_parse("none", &cfg->net);
	opterr = 0;
	optind = 1;
	/* A leading ':' makes a missing value ':' rather than '?'. */
	while ((c = getopt_long(argc, argv, ":", run_options, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			cfg->kernel = optarg;
			break;
		case OPT_INITRD:
			cfg->initrd = optarg;
			break;
		case OPT_APPEND:
			cfg->append = optarg;
			break;
		case OPT_BIOS:
			cfg->bios = optarg;
			break;
		case OPT_MEM:
			r = parse_mem(optarg, &cfg->mem_bytes);
			if (r == -EINVAL)
				return bad_option("--mem %s: not a size (try 256M or 2G)", optarg);
			if (r < 0)
				return bad_option("--mem %s: must be a multiple of 4 KiB between 2M "
						  "and 1T",
						  optarg);
			break;
		case OPT_CPUS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > VM_MAX_CPUS) {
				char msg[80];
				snprintf(msg, sizeof(msg), "--cpus %%s: must be a number from 1 to %d",
					 VM_MAX_CPUS);
				return bad_option(msg, optarg);
			}
			cfg->cpus = (int)n;
			break;
		}
		case OPT_ACCEL:
			if (!strcmp(optarg, "kvm"))
				cfg->accel = ACCEL_KVM;
			else if (!strcmp(optarg, "emu") || !strcmp(optarg, "tcg"))
				cfg->accel = ACCEL_EMU;
			else if (!strcmp(optarg, "auto"))
				cfg->accel = ACCEL_AUTO;
			else
				return bad_option("--accel %s: must be kvm, emu or auto", optarg);
			break;
		case OPT_EMU_MODE:
			cfg->emu_mode = x86_emu_mode_parse(optarg);
			if (cfg->emu_mode < 0)
				return bad_option("--emu-mode %s: must be interp or jit", optarg);
			break;
		case OPT_CLOCK:
			if (!strcmp(optarg, "host"))
				cfg->clock = VCLOCK_HOST;
			else if (!strcmp(optarg, "virtual"))
				cfg->clock = VCLOCK_VIRTUAL;
			else
				return bad_option("--clock %s: must be host or virtual", optarg);
			break;
		case OPT_SERIAL:
			if (!strcmp(optarg, "stdio")) {
				cfg->serial = SERIAL_STDIO;
			} else if (!strcmp(optarg, "none")) {
				cfg->serial = SERIAL_NONE;
			} else if (!strncmp(optarg, "file:", 5) && optarg[5]) {
				cfg->serial = SERIAL_FILE;
				cfg->serial_path = optarg + 5;
			} else {
				return bad_option("--serial %s: must be stdio, none or file:PATH",
						  optarg);
			}
			break;
		case OPT_DEBUGCON:
			if (!strcmp(optarg, "stdio")) {
				cfg->debugcon = "stdout";
			} else if (!strcmp(optarg, "none") || !strcmp(optarg, "stderr") ||
				   (!strncmp(optarg, "file:", 5) && optarg[5])) {
				cfg->debugcon = optarg;
			} else {
				return bad_option("--debugcon %s: must be stdio, stderr, none or "
						  "file:PATH",
						  optarg);
			}
			break;
		case OPT_DRIVE:
			if (cfg->ndrives == VM_MAX_DRIVES) {
				char msg[80];
				snprintf(msg, sizeof(msg), "--drive %%s: at most %d drives",
					 VM_MAX_DRIVES);
				return bad_option(msg, optarg);
			}
			if (blk_options_parse(optarg, &cfg->drives[cfg->ndrives]) < 0)
				return bad_option("%s", ember_last_error());
			cfg->ndrives++;
			break;
		case OPT_NET:
			if (has_net)
				return bad_option("--net %s: given twice (ember has one network card)",
						  optarg);
			has_net = true;
			if (net_config_parse(optarg, &cfg->net) < 0) {
				fprintf(stderr, "ember: %s (see 'ember --help')\n", ember_last_error());
				return EXIT_HOST_ERROR;
			}
			break;
		case OPT_STATS:
			cfg->stats = true;
			break;
		case OPT_STATS_JSON:
			cfg->stats_json = optarg;
			break;
		case OPT_TRACE:
			if (trace_parse_events(optarg, &cfg->trace_mask) < 0) {
				fprintf(stderr, "ember: %s (see 'ember --help')\n", ember_last_error());
				return EXIT_HOST_ERROR;
			}
			break;
		case OPT_TRACE_FILE:
			cfg->trace_path = optarg;
			break;
		case OPT_TRACE_SYNTAX:
			if (!strcmp(optarg, "intel"))
				cfg->trace_syntax = TRACE_SYNTAX_INTEL;
			else if (!strcmp(optarg, "att"))
				cfg->trace_syntax = TRACE_SYNTAX_ATT;
			else
				return bad_option("--trace-syntax %s: must be intel or att", optarg);
			break;
		case OPT_TRACE_FIRST: {
			char *end;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (*end || end == optarg || optarg[0] == '-' || n == 0)
				return bad_option("--trace-first %s: must be a positive number", optarg);
			cfg->trace_first = n;
			break;
		}
		case OPT_TIMELINE:
			cfg->timeline = optarg;
			break;
		case OPT_PROFILE:
			cfg->profile = optarg;
			break;
		case OPT_PROFILE_PERIOD: {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || optarg[0] == '-' || n == 0)
				return bad_option("--profile-period %s: must be a positive number",
						  optarg);
			cfg->profile_period = n;
			break;
		}
		case OPT_SYMBOLS:
			cfg->symbols = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(EXIT_OK);
		case OPT_VERSION:
			printf("ember %s\n", EMBER_VERSION);
			exit(EXIT_OK);
		case ':':
			return bad_option("%s: needs a value", argv[optind - 1]);
		default:
			return bad_option("%s: unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_option("%s: unexpected argument (options take the form --name VALUE)",
				  argv[optind]);
	if (!cfg->kernel && !cfg->bios)
		return bad_option("%s", "nothing to run: give --kernel FILE or --bios FILE");
	if (cfg->initrd && !cfg->kernel)
		return bad_option("--initrd %s: needs --kernel", cfg->initrd);
	if (cfg->append && !cfg->kernel)
		return bad_option("--append %s: needs --kernel", cfg->append);
	if (cfg->kernel && !cfg->initrd)
		cfg->initrd = initrd_beside(cfg->kernel);
	if ((cfg->symbols || cfg->profile_period) && !cfg->profile)
		return bad_option("%s: needs --profile FILE",
				  cfg->symbols ? "--symbols" : "--profile-period");
	const char *env_mode = getenv("EMBER_EMU_MODE");
	if (cfg->emu_mode < 0 && env_mode && x86_emu_mode_parse(env_mode) < 0)
		return bad_option("EMBER_EMU_MODE=%s: must be interp or jit", env_mode);
	if (cfg->profile && cfg->accel == ACCEL_KVM)
		return bad_option("--profile %s: needs --accel emu (the emulator samples the "
				  "guest; KVM does not)",
				  cfg->profile);
	return 0;
}

static int choose_engine(const struct vm_config *cfg, const struct hostinfo *host,
			 const struct engine **out)
{
	switch (cfg->accel) {
	case ACCEL_KVM:
		if (cfg->clock == VCLOCK_VIRTUAL) {
			fprintf(stderr, "ember: --clock virtual: only with --accel emu (under KVM the "
					"guest runs on the host's time)\n");
			return EXIT_HOST_ERROR;
		}
		if (host->kvm == HOST_KVM_NONE) {
			fprintf(stderr, "ember: --accel kvm: %s\n", host->kvm_error);
			return EXIT_HOST_ERROR;
		}
		if (host->kvm == HOST_KVM_SOFTWARE)
			fprintf(stderr, "ember: note: %s\n", hostinfo_software_kvm_note());
		*out = &engine_kvm;
		return 0;
	case ACCEL_AUTO:
		if (host->kvm == HOST_KVM_HARDWARE && cfg->clock != VCLOCK_VIRTUAL) {
			*out = &engine_kvm;
			return 0;
		}
		*out = &engine_emu;
		return 0;
	case ACCEL_EMU:
		*out = &engine_emu;
		return 0;
	}
	return EXIT_HOST_ERROR;
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	int r = parse_run(argc, argv, &cfg);
	if (r)
		return r;
	struct hostinfo host;
	hostinfo_probe(&host);
	const struct engine *engine = NULL;
	r = choose_engine(&cfg, &host, &engine);
	if (r)
		return r;
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		fprintf(stderr, "ember: out of memory\n");
		return EXIT_HOST_ERROR;
	}
	/* Symbols are read (and refused) before the guest runs. */
	struct profile *prof = NULL;
	if (cfg.profile && engine != &engine_emu) {
		fprintf(stderr, "ember: --profile %s: --accel auto chose kvm; the profile needs "
				"--accel emu\n",
			cfg.profile);
		free(vm);
		return EXIT_HOST_ERROR;
	}
	if (cfg.profile) {
		prof = profile_create(cfg.profile,
				      cfg.profile_period ? cfg.profile_period
							 : PROFILE_DEFAULT_PERIOD,
				      cfg.symbols, cfg.kernel);
		if (!prof) {
			fprintf(stderr, "ember: %s\n", ember_last_error());
			free(vm);
			return EXIT_HOST_ERROR;
		}
	}
	r = vm_create(vm, &cfg, engine);
	if (r < 0) {
		fprintf(stderr, "ember: %s\n", ember_last_error());
		vm_destroy(vm);
		free(vm);
		profile_free(prof);
		return EXIT_HOST_ERROR;
	}
	vm->profile = prof;
	int status = vm_run(vm);
	if (prof) {
		uint64_t insns = 0;
		for (int i = 0; i < vm->ncpus; i++)
			for (int m = 0; m < X86_NR_MODES; m++)
				insns += vm->vcpus[i].insns[m];
		if (profile_write(prof, insns) < 0)
			fprintf(stderr, "ember: %s\n", ember_last_error());
		profile_free(prof);
	}
	if (cfg.stats)
		stats_print(vm, stderr);
	/* A stats file that cannot be written is reported; the guest's exit
	 * status stays what the guest made it. */
	if (cfg.stats_json && stats_write_json(vm, cfg.stats_json) < 0)
		fprintf(stderr, "ember: %s\n", ember_last_error());
	vm_destroy(vm);
	free(vm);
	for (int i = 0; i < cfg.ndrives; i++)
		blk_options_free(&cfg.drives[i]);
	return status;
}

static int cmd_host(void)
{
	struct hostinfo h;
	hostinfo_probe(&h);
	printf("KVM:          %s\n", hostinfo_kvm_name(h.kvm));
	if (h.kvm == HOST_KVM_NONE)
		printf("              %s\n", h.kvm_error);
	printf("CPU flags:    vmx %s, svm %s, hypervisor %s\n", h.cpu_vmx ? "yes" : "no",
	       h.cpu_svm ? "yes" : "no", h.hypervisor ? "yes" : "no");
	printf("kvm_pvm:      %s\n", h.pvm_module ? "loaded" : "not loaded");
	if (h.kvm == HOST_KVM_SOFTWARE)
		printf("note:         %s\n", hostinfo_software_kvm_note());
	printf("--accel auto: %s\n", h.kvm == HOST_KVM_HARDWARE ? "kvm" : "emu");
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: ember run [options] | ember host | ember extract-vmlinux "
				"BZIMAGE OUT (see 'ember --help')\n");
		return EXIT_HOST_ERROR;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (cmd[0] == '-' && strcmp(cmd, "--help") && strcmp(cmd, "-h") && strcmp(cmd, "--version"))
		return cmd_run(argc, argv); /* "ember --kernel ..." as a shorthand */
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("ember %s\n", EMBER_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "host"))
		return cmd_host();
	if (!strcmp(cmd, "extract-vmlinux")) {
		if (argc != 4) {
			fprintf(stderr, "usage: ember extract-vmlinux BZIMAGE OUT\n");
			return EXIT_HOST_ERROR;
		}
		if (boot_extract_vmlinux(argv[2], argv[3]) < 0) {
			fprintf(stderr, "ember: %s\n", ember_last_error());
			return EXIT_HOST_ERROR;
		}
		return EXIT_OK;
	}
	fprintf(stderr, "ember: %s: unknown command (see 'ember --help')\n", cmd);
	return EXIT_HOST_ERROR;
}
