/* SPDX-License-Identifier: MIT */
/*
 * benches/ops_main.c - shmring_gb_ops: what one operation costs in one
 * thread, with no other CPU involved: send + receive of one message, bulk
 * send + receive of 1..256, next to rte_ring and ck_ring doing the same, and
 * what the timing loop itself costs.
 */

#include "rings.h"

/* The empty loop, through one call into the shim per iteration. */
static void shim_keep_running(shmring_gb_state *st, void *arg)
{
	uint64_t x = 0;

	(void)arg;
	while (shmring_gb_keep_running(st)) {
		x++;
		shmring_gb_escape(&x);
	}
}

/* The empty loop, through the batch form: what every benchmark here uses. */
static void shim_batch(shmring_gb_state *st, void *arg)
{
	uint64_t x = 0;

	(void)arg;
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++) {
			x++;
			shmring_gb_escape(&x);
		}
	}
}

static void register_bulk(const char *name, shmring_gb_fn *fn, const uint32_t *slot)
{
	shmring_gb_bench *b = shmring_gb_register(name, fn, (void *)slot);
	shmring_gb_bench_range(shmring_gb_bench_range_multiplier(b, 2), 1, BENCH_MAX_BULK);
	shmring_gb_bench_arg_name(b, "n");
}

int main(int argc, char **argv)
{
	static const uint32_t slot8 = 8, slot64 = 64;

	shmring_gb_register("shim/keep_running", shim_keep_running, NULL);
	shmring_gb_register("shim/batch", shim_batch, NULL);

	bench_register_slots("op/shmring", bench_shmring_op, NULL);
#ifdef SHMRING_HAVE_DPDK_RING
	bench_register_slots("op/rte_ring", bench_rte_op, NULL);
#endif
#ifdef SHMRING_HAVE_CK
	bench_register_slots("op/ck_ring", bench_ck_op, NULL);
#endif

	register_bulk("bulk/shmring/slot:8", bench_shmring_bulk, &slot8);
#ifdef SHMRING_HAVE_DPDK_RING
	register_bulk("bulk/rte_ring/slot:8", bench_rte_bulk, &slot8);
#endif
	register_bulk("bulk/shmring/slot:64", bench_shmring_bulk, &slot64);
#ifdef SHMRING_HAVE_DPDK_RING
	register_bulk("bulk/rte_ring/slot:64", bench_rte_bulk, &slot64);
#endif

	return shmring_gb_main(argc, argv);
}
