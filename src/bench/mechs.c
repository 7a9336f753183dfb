/* SPDX-License-Identifier: MIT */
/*
 * src/bench/mechs.c - the table of mechanisms, in the order they are run and
 * reported. Adding a mechanism is one line here (and its definition); a ring
 * is one line of the list in rings.h, which serves the scaling runs too.
 */
#include <string.h>

#include "bench.h"
#include "rings.h"

/* The rings of the list that `shmring bench` runs (mech_ring.c). */
#define RING_DECL(id, transport, opts, style, batch, pair, ...)                                    \
	SHMRING_BENCH_PICK(pair, PAIR)(extern const struct shmring_bench_mech shmring_bench_mech_##id;)
#define RING_PTR(id, transport, opts, style, batch, pair, ...)                                     \
	SHMRING_BENCH_PICK(pair, PAIR)(&shmring_bench_mech_##id, )
SHMRING_BENCH_RINGS(RING_DECL)

extern const struct shmring_bench_mech shmring_bench_mech_floor;
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
extern const struct shmring_bench_mech shmring_bench_mech_shmring_unix;
extern const struct shmring_bench_mech shmring_bench_mech_shmring_tcp;
extern const struct shmring_bench_mech shmring_bench_mech_bridge_tcp;
#ifdef SHMRING_HAVE_ZMQ
extern const struct shmring_bench_mech shmring_bench_mech_zmq;
extern const struct shmring_bench_mech shmring_bench_mech_bridge_zmq;
#endif
extern const struct shmring_bench_mech shmring_bench_mech_posix_mq;
extern const struct shmring_bench_mech shmring_bench_mech_sysv_mq;
extern const struct shmring_bench_mech shmring_bench_mech_rt_signal;

const struct shmring_bench_mech *const shmring_bench_mechs[] = {
	&shmring_bench_mech_floor,
	SHMRING_BENCH_RINGS(RING_PTR)
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
	&shmring_bench_mech_shmring_unix,
	&shmring_bench_mech_shmring_tcp,
	&shmring_bench_mech_bridge_tcp,
#ifdef SHMRING_HAVE_ZMQ
	&shmring_bench_mech_zmq,
	&shmring_bench_mech_bridge_zmq,
#endif
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
