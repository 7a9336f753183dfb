/* SPDX-License-Identifier: MIT */
/*
 * benches/ops_main.c - shmring_gb_ops: what one operation costs in one
 * thread, with no other CPU involved, for every shmring ring kind: send +
 * receive of one message by copy (op/), by the blocking calls (block/) and
 * in place (zc/), bulk send + receive of 1..256 by copy (bulk/) and in place
 * (zc_bulk/), next to rte_ring (SP/SC and MP/MC), ck_ring (SPSC and MPMC)
 * and boost's spsc_queue doing the same, and what the timing loop itself
 * costs.
 */

#include "rings.h"

#include <shmring/shmring.h>

#include <stdio.h>

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

static void register_bulk(const char *name, shmring_gb_fn *fn, const struct bench_bulk_arg *a)
{
	shmring_gb_bench *b = shmring_gb_register(name, fn, (void *)a);
	shmring_gb_bench_range(shmring_gb_bench_range_multiplier(b, 2), 1, BENCH_MAX_BULK);
	shmring_gb_bench_arg_name(b, "n");
}

int main(int argc, char **argv)
{
	static struct bench_bulk_arg bulk[BENCH_NKINDS][2];
	static const int mt = 1;
	char name[96];

	shmring_gb_register("shim/keep_running", shim_keep_running, NULL);
	shmring_gb_register("shim/batch", shim_batch, NULL);

	/* One message by copy: every shmring kind, then the peers. "op/shmring"
	 * is the SPSC ring, the name earlier results carry. */
	for (unsigned k = 0; k < BENCH_NKINDS; k++) {
		snprintf(name, sizeof name, "op/shmring%s%s", k ? "-" : "",
		         k ? bench_kinds[k].name : "");
		bench_register_slots(name, bench_shmring_op, (void *)&bench_kinds[k]);
	}
#ifdef SHMRING_HAVE_DPDK_RING
	bench_register_slots("op/rte_ring", bench_rte_op, NULL);
	bench_register_slots("op/rte_ring-mpmc", bench_rte_op, (void *)&mt);
#endif
#ifdef SHMRING_HAVE_CK
	bench_register_slots("op/ck_ring", bench_ck_op, NULL);
	bench_register_slots("op/ck_ring-mpmc", bench_ck_op, (void *)&mt);
#endif
#ifdef SHMRING_HAVE_BOOST
	bench_register_slots("op/boost_spsc", bench_boost_op, NULL);
#endif
	(void)mt;

	/* One message by the blocking calls, which a ring with room (a message)
	 * answers at once: what they cost beyond the try_ calls. */
	for (unsigned k = 0; k < BENCH_NKINDS; k++) {
		snprintf(name, sizeof name, "block/shmring-%s", bench_kinds_block[k].name);
		bench_register_slots(name, bench_shmring_op, (void *)&bench_kinds_block[k]);
	}

	/* One message written and read in place (no peer offers both halves). */
	for (unsigned k = 0; k < BENCH_NKINDS; k++) {
		snprintf(name, sizeof name, "zc/shmring-%s", bench_kinds[k].name);
		bench_register_slots(name, bench_shmring_zc, (void *)&bench_kinds[k]);
	}

	/* Batches of 1..256, by copy and (fixed kinds) in place. */
	static const uint32_t slots[2] = {8, 64};
	for (unsigned si = 0; si < 2; si++) {
		for (unsigned k = 0; k < BENCH_NKINDS; k++) {
			bulk[k][si] = (struct bench_bulk_arg){&bench_kinds[k], slots[si], false};
			snprintf(name, sizeof name, "bulk/shmring%s%s/slot:%u", k ? "-" : "",
			         k ? bench_kinds[k].name : "", slots[si]);
			register_bulk(name, bench_shmring_bulk, &bulk[k][si]);
		}
#ifdef SHMRING_HAVE_DPDK_RING
		static struct bench_bulk_arg rte[2][2];
		rte[si][0] = (struct bench_bulk_arg){NULL, slots[si], false};
		rte[si][1] = (struct bench_bulk_arg){NULL, slots[si], true};
		snprintf(name, sizeof name, "bulk/rte_ring/slot:%u", slots[si]);
		register_bulk(name, bench_rte_bulk, &rte[si][0]);
		snprintf(name, sizeof name, "bulk/rte_ring-mpmc/slot:%u", slots[si]);
		register_bulk(name, bench_rte_bulk, &rte[si][1]);
#endif
		for (unsigned k = 0; k < BENCH_NKINDS; k++) {
			if (bench_kinds[k].kind == SHMRING_KIND_MSG) /* records: no burst zero-copy */
				continue;
			snprintf(name, sizeof name, "zc_bulk/shmring-%s/slot:%u", bench_kinds[k].name,
			         slots[si]);
			register_bulk(name, bench_shmring_zc_bulk, &bulk[k][si]);
		}
	}

	return shmring_gb_main(argc, argv);
}
