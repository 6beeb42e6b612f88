/*
 * shmem-client: an application's side of Tensorplane's shared-memory zero copy (UBLK_F_SHMEM_ZC, docs/shmem.md).
 *
 * It creates a memfd region, seals it against shrinking, maps it, hands it to the server of a device added with
 * 'tensorplane ublk add --shmem' (one line "region <bytes>\n" with the memfd as SCM_RIGHTS on <state dir>/N.shmem.sock;
 * the server answers "ok <index>\n" or "error: <why>\n"), then does O_DIRECT I/O on /dev/ublkbN from the region. The
 * kernel sees that the I/O's pages are registered and hands the server an offset in the region instead of copying.
 * Closing the socket (or exiting) ends the registration.
 *
 *   cc -O2 -Wall -o shmem-client shmem-client.c
 *   shmem-client SOCKET DEVICE verify [MIB]        write a pattern through the region and read it back (default 4 MiB)
 *   shmem-client SOCKET DEVICE bench BYTES COUNT   COUNT sequential reads of BYTES, from the region and then into
 *                                                  ordinary memory (posix_memalign), timed
 *
 * Needs nothing but libc (no ublk header: the client never talks to the driver).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "shmem-client: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Hands the memfd to the server; returns the connected socket (keep it open while the region is in use). */
static int hand_over(const char *path, int memfd, size_t bytes, int *index)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char line[64], reply[256], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	ssize_t n, got = 0;
	int s;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "shmem-client: socket path too long: %s\n", path);
		exit(1);
	}
	strcpy(sun.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die(path);

	snprintf(line, sizeof(line), "region %zu\n", bytes);
	iov.iov_base = line;
	iov.iov_len = strlen(line);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &memfd, sizeof(int));
	if (sendmsg(s, &msg, 0) != (ssize_t)iov.iov_len)
		die("sendmsg");

	while (got < (ssize_t)sizeof(reply) - 1 && (n = read(s, reply + got, sizeof(reply) - 1 - got)) > 0) {
		got += n;
		if (reply[got - 1] == '\n')
			break;
	}
	reply[got] = 0;
	if (strncmp(reply, "ok ", 3) != 0) {
		fprintf(stderr, "shmem-client: the server refused the region: %s", got ? reply : "no reply\n");
		exit(1);
	}
	*index = atoi(reply + 3);
	return s;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void full(ssize_t n, size_t want, const char *what)
{
	if (n < 0)
		die(what);
	if ((size_t)n != want) {
		fprintf(stderr, "shmem-client: %s: %zd of %zu bytes\n", what, n, want);
		exit(1);
	}
}

static int verify(char *region, size_t half, int dev)
{
	const size_t chunk = 128 << 10;
	size_t i, off;

	for (i = 0; i < half; i++)
		region[i] = (char)(i * 7 + (i >> 12) + 1);
	memset(region + half, 0, half);
	for (off = 0; off < half; off += chunk)
		full(pwrite(dev, region + off, chunk, off), chunk, "pwrite");
	if (fdatasync(dev) < 0)
		die("fdatasync");
	for (off = 0; off < half; off += chunk)
		full(pread(dev, region + half + off, chunk, off), chunk, "pread");
	if (memcmp(region, region + half, half) != 0) {
		for (i = 0; i < half && region[i] == region[half + i]; i++)
			;
		fprintf(stderr, "shmem-client: verify: data differs at byte %zu\n", i);
		return 1;
	}
	printf("verify: %zu writes and %zu reads of %zu bytes from the shared region, data intact\n",
	       half / chunk, half / chunk, chunk);
	return 0;
}

/* COUNT sequential reads of BYTES into buf (wrapping within the first 64 MiB of the disk): microseconds per read. */
static double timed_reads(int dev, char *buf, size_t bytes, long count, off_t span)
{
	off_t off = 0;
	double t0 = now();
	long i;

	for (i = 0; i < count; i++) {
		full(pread(dev, buf, bytes, off), bytes, "pread");
		off += bytes;
		if (off + (off_t)bytes > span)
			off = 0;
	}
	return (now() - t0) * 1e6 / count;
}

int main(int argc, char **argv)
{
	size_t bytes, read_bytes = 0;
	long count = 0;
	int memfd, dev, s, index, rc = 0;
	char *region, *plain;

	if (argc < 4 || (strcmp(argv[3], "verify") && strcmp(argv[3], "bench")) ||
	    (!strcmp(argv[3], "bench") && argc != 6)) {
		fprintf(stderr, "usage: shmem-client SOCKET DEVICE verify [MIB]\n"
				"       shmem-client SOCKET DEVICE bench BYTES COUNT\n");
		return 2;
	}
	if (!strcmp(argv[3], "verify")) {
		bytes = 2 * (size_t)(argc > 4 ? atoi(argv[4]) : 4) << 20;
	} else {
		read_bytes = strtoul(argv[4], NULL, 0);
		count = strtol(argv[5], NULL, 0);
		if (read_bytes == 0 || read_bytes % 4096 || count <= 0) {
			fprintf(stderr, "shmem-client: BYTES must be a positive multiple of 4096, COUNT positive\n");
			return 2;
		}
		bytes = read_bytes;
	}

	/* the region: a memfd the server can map too; sealed so that it cannot shrink under the server's mapping */
	memfd = memfd_create("shmem-client", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, bytes) < 0 || fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		die("memfd");
	region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, memfd, 0);
	if (region == MAP_FAILED)
		die("mmap");
	s = hand_over(argv[1], memfd, bytes, &index);
	printf("region: %zu bytes, index %d\n", bytes, index);

	dev = open(argv[2], O_RDWR | O_DIRECT);
	if (dev < 0)
		die(argv[2]);
	if (read_bytes == 0) {
		rc = verify(region, bytes / 2, dev);
	} else {
		double shared, ordinary;

		if (posix_memalign((void **)&plain, 4096, read_bytes))
			die("posix_memalign");
		memset(plain, 0, read_bytes);
		timed_reads(dev, region, read_bytes, count / 10 + 1, 64 << 20); /* warm up */
		shared = timed_reads(dev, region, read_bytes, count, 64 << 20);
		timed_reads(dev, plain, read_bytes, count / 10 + 1, 64 << 20);
		ordinary = timed_reads(dev, plain, read_bytes, count, 64 << 20);
		printf("bench: %ld sequential reads of %zu bytes: shared region %.1f us/read (%.0f MB/s),"
		       " ordinary memory %.1f us/read (%.0f MB/s), ordinary/shared time %.2f\n",
		       count, read_bytes, shared, read_bytes / shared, ordinary, read_bytes / ordinary,
		       ordinary / shared);
		free(plain);
	}
	close(dev);
	close(s);
	munmap(region, bytes);
	close(memfd);
	return rc;
}
