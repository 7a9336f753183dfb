// SPDX-License-Identifier: MIT
//
// test_build_cxx: every public header compiles as C++ (and, through the
// generated one-header translation units, each header alone, as C and as
// C++); the C and C++ layouts of the public structures agree; and a C++
// program links against the C library and moves a message through a ring.
#include <shmring/shmring.h>
#include <shmring/common.h>
#include <shmring/ring.h>

#include <cstdio>
#include <cstring>
#include <cstddef>
#include <unistd.h>

extern "C" size_t test_build_c_layout(int what);

static int failures;

static void expect(bool ok, const char *what)
{
	if (!ok) {
		std::printf("FAIL: %s\n", what);
		failures++;
	}
}

int main()
{
	const size_t cxx[] = {
		sizeof(shmring_opts),
		sizeof(shmring_wait),
		sizeof(struct shmring_info), // the struct shares its name with a function
		offsetof(shmring_opts, reserved),
		offsetof(struct shmring_info, consumers),
		offsetof(shmring_wait, spin_ns),
		sizeof(shmring_role),
	};
	for (int i = 0; i < static_cast<int>(sizeof(cxx) / sizeof(cxx[0])); i++) {
		if (cxx[i] != test_build_c_layout(i)) {
			std::printf("FAIL: layout item %d: C++ %zu, C %zu\n", i, cxx[i],
				    test_build_c_layout(i));
			failures++;
		}
	}

	expect(std::strcmp(shmring_version(), "0.1.0") == 0, "shmring_version");
	expect(shmring_strerror(-SHMRING_EBADMAGIC) != nullptr, "shmring_strerror");
	expect(shmring_deadline_in(0) >= shmring_clock_ns() - 1000000000u, "clock");

	char name[64];
	std::snprintf(name, sizeof(name), "/shmt-%d-cxx", getpid());
	shmring_opts o{};
	o.slot_size = 8;
	o.capacity = 16;
	o.flags = SHMRING_CREATE_REPLACE;
	shmring_t *r = nullptr;
	int rc = shmring_create(name, &o, SHMRING_PRODUCER | SHMRING_CONSUMER, &r);
	expect(rc == 0, "shmring_create from C++");
	if (rc == 0) {
		unsigned long long v = 42, w = 0;
		expect(shmring_try_send(r, &v) == 0, "try_send");
		expect(shmring_recv(r, &w, shmring_deadline_in(1000000000u)) == 0, "recv");
		expect(w == 42, "message intact");
		struct shmring_info in{};
		expect(shmring_info(r, &in) == 0 && in.capacity == 16 && in.produced == 1, "info");
		expect(shmring_capacity(r) == 16 && shmring_slot_size(r) == 8, "geometry");
		shmring_close(r);
		expect(shmring_unlink(name) == 0, "unlink");
	}
	if (failures)
		return 1;
	std::printf("public headers: C and C++ agree, C++ program works\n");
	return 0;
}
