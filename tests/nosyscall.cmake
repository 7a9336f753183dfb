# No system call on the fast path (issue 12, item 6): 10^6 messages between
# two pinned threads, spinning and with the adaptive default, on SPSC, MPSC
# and the message ring, with every system call counted by a seccomp
# user-notification filter. Skips (77) under the sanitizers, on one CPU and
# where seccomp user notification is refused.
shmring_test(test_nosyscall SOURCES test_nosyscall.c LABELS fast TIMEOUT 300)
