/*
 * The bridge's overhead per ioctl: N cheap ioctls (IOMMU_DESTROY of an id that does not exist:
 * one request, two user reads, ENOENT) from each of T threads, timed; and the same count of
 * ioctls on a real fd (ENOTTY on /dev/null) for scale. Prints the mean per call; asserts nothing
 * about time. Usage: ioctl_overhead [N] [THREADS]
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "uapi.h"

static int fd;
static long n = 20000;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *loop(void *arg)
{
	struct iommu_destroy destroy = {.size = sizeof(destroy), .id = 0xfffffff};
	long bad = 0;
	for (long i = 0; i < n; i++)
		if (ioctl(fd, IOMMU_DESTROY, &destroy) != -1 || errno != ENOENT)
			bad++;
	*(long *)arg = bad;
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 2 ? atoi(argv[2]) : 1;
	if (argc > 1)
		n = atol(argv[1]);
	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0);
	loop(&(long){0}); /* warm up */

	pthread_t t[64];
	long bad[64] = {0};
	threads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
	double start = now();
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, loop, &bad[i]);
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		CHECK(bad[i] == 0);
	}
	double bridged = (now() - start) / ((double)n * threads);

	int null = open("/dev/null", O_RDONLY);
	start = now();
	for (long i = 0; i < n; i++)
		ioctl(null, IOMMU_DESTROY, NULL);
	double native = (now() - start) / n;
	printf("ioctl_overhead: %ld ioctls x %d threads: %.1f us per bridged ioctl (%.2f us native)\n",
	       n, threads, bridged * 1e6, native * 1e6);
	close(null);
	close(fd);
	return report("ioctl_overhead");
}
