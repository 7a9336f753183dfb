/* SPDX-License-Identifier: MIT */
/*
 * src/bench/mechs.c - the table of mechanisms, in the order they are run and
 * reported. Adding a mechanism is one line here (and its definition).
 */
#include <string.h>

#include "bench.h"

extern const struct shmring_bench_mech shmring_bench_mech_floor;
extern const struct shmring_bench_mech shmring_bench_mech_spsc;
extern const struct shmring_bench_mech shmring_bench_mech_spsc_adaptive;
extern const struct shmring_bench_mech shmring_bench_mech_spsc_block;
extern const struct shmring_bench_mech shmring_bench_mech_spsc_psem;
extern const struct shmring_bench_mech shmring_bench_mech_spsc_sysvsem;
extern const struct shmring_bench_mech shmring_bench_mech_spsc_doorbell;
extern const struct shmring_bench_mech shmring_bench_mech_spsc_doorbell_epoll;
extern const struct shmring_bench_mech shmring_bench_mech_spsc_batch;
extern const struct shmring_bench_mech shmring_bench_mech_mpsc;
extern const struct shmring_bench_mech shmring_bench_mech_mpsc_adaptive;
extern const struct shmring_bench_mech shmring_bench_mech_mpsc_batch;
extern const struct shmring_bench_mech shmring_bench_mech_spmc;
extern const struct shmring_bench_mech shmring_bench_mech_spmc_adaptive;
extern const struct shmring_bench_mech shmring_bench_mech_spmc_batch;
extern const struct shmring_bench_mech shmring_bench_mech_mpmc;
extern const struct shmring_bench_mech shmring_bench_mech_mpmc_adaptive;
extern const struct shmring_bench_mech shmring_bench_mech_mpmc_batch;
extern const struct shmring_bench_mech shmring_bench_mech_msg;
extern const struct shmring_bench_mech shmring_bench_mech_msg_adaptive;
extern const struct shmring_bench_mech shmring_bench_mech_msg_batch;
extern const struct shmring_bench_mech shmring_bench_mech_dpdk;
extern const struct shmring_bench_mech shmring_bench_mech_dpdk_batch;
extern const struct shmring_bench_mech shmring_bench_mech_ck;
extern const struct shmring_bench_mech shmring_bench_mech_futex;
extern const struct shmring_bench_mech shmring_bench_mech_posix_sem;
extern const struct shmring_bench_mech shmring_bench_mech_sysv_sem;
extern const struct shmring_bench_mech shmring_bench_mech_eventfd;
extern const struct shmring_bench_mech shmring_bench_mech_pipe;
extern const struct shmring_bench_mech shmring_bench_mech_fifo;
extern const struct shmring_bench_mech shmring_bench_mech_unix_stream;
extern const struct shmring_bench_mech shmring_bench_mech_unix_dgram;
extern const struct shmring_bench_mech shmring_bench_mech_unix_seqpacket;
extern const struct shmring_bench_mech shmring_bench_mech_tcp;
extern const struct shmring_bench_mech shmring_bench_mech_posix_mq;
extern const struct shmring_bench_mech shmring_bench_mech_sysv_mq;
extern const struct shmring_bench_mech shmring_bench_mech_rt_signal;

const struct shmring_bench_mech *const shmring_bench_mechs[] = {
	&shmring_bench_mech_floor,
	&shmring_bench_mech_spsc,
	&shmring_bench_mech_spsc_adaptive,
	&shmring_bench_mech_spsc_block,
	&shmring_bench_mech_spsc_psem,
	&shmring_bench_mech_spsc_sysvsem,
	&shmring_bench_mech_spsc_doorbell,
	&shmring_bench_mech_spsc_doorbell_epoll,
	&shmring_bench_mech_spsc_batch,
	&shmring_bench_mech_mpsc,
	&shmring_bench_mech_mpsc_adaptive,
	&shmring_bench_mech_mpsc_batch,
	&shmring_bench_mech_spmc,
	&shmring_bench_mech_spmc_adaptive,
	&shmring_bench_mech_spmc_batch,
	&shmring_bench_mech_mpmc,
	&shmring_bench_mech_mpmc_adaptive,
	&shmring_bench_mech_mpmc_batch,
	&shmring_bench_mech_msg,
	&shmring_bench_mech_msg_adaptive,
	&shmring_bench_mech_msg_batch,
#ifdef SHMRING_HAVE_DPDK_RING
	&shmring_bench_mech_dpdk,
	&shmring_bench_mech_dpdk_batch,
#endif
#ifdef SHMRING_HAVE_CK
	&shmring_bench_mech_ck,
#endif
	&shmring_bench_mech_futex,
	&shmring_bench_mech_posix_sem,
	&shmring_bench_mech_sysv_sem,
	&shmring_bench_mech_eventfd,
	&shmring_bench_mech_pipe,
	&shmring_bench_mech_fifo,
	&shmring_bench_mech_unix_stream,
	&shmring_bench_mech_unix_dgram,
	&shmring_bench_mech_unix_seqpacket,
	&shmring_bench_mech_tcp,
	&shmring_bench_mech_posix_mq,
	&shmring_bench_mech_sysv_mq,
	&shmring_bench_mech_rt_signal,
};

const size_t shmring_bench_nmechs = sizeof(shmring_bench_mechs) / sizeof(shmring_bench_mechs[0]);

const struct shmring_bench_mech *shmring_bench_mech_find(const char *name)
{
	for (size_t i = 0; i < shmring_bench_nmechs; i++)
		if (strcmp(shmring_bench_mechs[i]->name, name) == 0)
			return shmring_bench_mechs[i];
	return NULL;
}
