/* SPDX-License-Identifier: MIT */
/*
 * benches/pair_main.c - shmring_gb_pair: two threads on two CPUs, one
 * sending and one receiving (stream, messages/s) or bouncing one message
 * through two rings (rtt, ns per round trip), for every shmring ring kind
 * (the SPSC ring also created poll-only or with dense slots, and inline
 * through shmring/lane.h), rte_ring (SP/SC and MP/MC), ck_ring (SPSC and
 * MPMC) and boost's spsc_queue, after the floor they are all measured
 * against, and the bare rows (benches/ring_bare.c): messages one at a
 * time with nothing around them, the bound of the streams.
 */

#include "rings.h"

/*
 * The peers order their rings with barriers ThreadSanitizer cannot see (ck's
 * inline assembly, DPDK's x86 compiler-only read barrier; boost's shim is
 * not instrumented), so under TSan they would only report their own design;
 * TSan builds measure shmring alone.
 */
#if defined(SHMRING_SANITIZE_thread)
#undef SHMRING_HAVE_DPDK_RING
#undef SHMRING_HAVE_CK
#undef SHMRING_HAVE_BOOST
#endif

int main(int argc, char **argv)
{
	static const struct {
		const char *family;
		enum bench_pair_mode mode;
	} families[] = {
	    {"stream", BENCH_STREAM},
	    {"rtt", BENCH_RTT},
	};

	bench_floor_register();
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		bench_pair_register(families[i].family, &bench_pair_bare, families[i].mode);
		if (families[i].mode == BENCH_RTT)
			bench_pair_register(families[i].family, &bench_pair_bare_duplex,
			                    families[i].mode);
		for (unsigned k = 0; k < BENCH_NKINDS; k++)
			bench_pair_register(families[i].family, &bench_pair_shmring[k],
			                    families[i].mode);
		bench_pair_register(families[i].family, &bench_pair_shmring_lane, families[i].mode);
		bench_pair_register(families[i].family, &bench_pair_shmring_poll, families[i].mode);
		bench_pair_register(families[i].family, &bench_pair_shmring_dense, families[i].mode);
		bench_pair_register(families[i].family, &bench_pair_shmring_lane_poll,
		                    families[i].mode);
		bench_pair_register(families[i].family, &bench_pair_shmring_slip, families[i].mode);
		bench_pair_register(families[i].family, &bench_pair_shmring_lane_poll_slip,
		                    families[i].mode);
		bench_pair_register(families[i].family, &bench_pair_shmring_lane_send,
		                    families[i].mode);
#ifdef SHMRING_HAVE_DPDK_RING
		bench_pair_register(families[i].family, &bench_pair_rte, families[i].mode);
		bench_pair_register(families[i].family, &bench_pair_rte_mt, families[i].mode);
#endif
#ifdef SHMRING_HAVE_CK
		bench_pair_register(families[i].family, &bench_pair_ck, families[i].mode);
		bench_pair_register(families[i].family, &bench_pair_ck_mpmc, families[i].mode);
#endif
#ifdef SHMRING_HAVE_BOOST
		bench_pair_register(families[i].family, &bench_pair_boost, families[i].mode);
#endif
	}
	return shmring_gb_main(argc, argv);
}
