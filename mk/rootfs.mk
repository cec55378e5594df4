# mk/rootfs.mk - `make rootfs`: guest/rootfs.img, a Debian root disk for the
# default guest (scripts/rootfs.sh: mmdebstrap, then mke2fs -d; rebuilt only
# when its inputs change).  tests/integration/rootfs.sh builds it too.
.PHONY: rootfs
rootfs: deps
	scripts/rootfs.sh
