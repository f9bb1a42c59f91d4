/*
 * A VFIO migration client: binds device vfio0 to an iommufd, saves its state through STOP_COPY by
 * reading the data fd to the end, then resumes it through RESUMING and runs again.
 * Run with a device: bin/jvfio-run --device stop-copy -- ./migration
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "uapi.h"

static int dev;

/* VFIO_DEVICE_FEATURE SET of MIG_DEVICE_STATE; returns the data fd (or -1) in *data_fd. */
static int set_state(__u32 state, int *data_fd)
{
	struct {
		struct vfio_device_feature feature;
		struct vfio_device_feature_mig_state mig;
	} arg = {
		.feature = {.argsz = sizeof(arg),
			    .flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE},
		.mig = {.device_state = state, .data_fd = -1},
	};
	int rc = ioctl(dev, VFIO_DEVICE_FEATURE, &arg);
	*data_fd = arg.mig.data_fd;
	return rc;
}

int main(void)
{
	int iommufd = open("/dev/iommu", O_RDWR);
	dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(iommufd >= 0 && dev >= 0);

	struct vfio_device_bind_iommufd bind = {.argsz = sizeof(bind), .iommufd = iommufd};
	CHECK(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) == 0);
	struct iommu_ioas_alloc alloc = {.size = sizeof(alloc)};
	CHECK(ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc) == 0);
	struct vfio_device_attach_iommufd_pt attach = {.argsz = sizeof(attach), .pt_id = alloc.out_ioas_id};
	CHECK(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) == 0);

	int data = -1, none = -1;
	CHECK(set_state(VFIO_DEVICE_STATE_STOP, &none) == 0 && none == -1);
	CHECK(set_state(VFIO_DEVICE_STATE_STOP_COPY, &data) == 0 && data >= 0);
	CHECK(fcntl(data, F_GETFD) >= 0);
	CHECK_ERRNO(ESPIPE, pread(data, &none, 1, 0));

	size_t cap = 1 << 20, len = 0;
	char *saved = malloc(cap);
	for (;;) {
		if (len == cap)
			saved = realloc(saved, cap *= 2);
		ssize_t n = read(data, saved + len, cap - len);
		CHECK(n >= 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	CHECK(len > 0);
	CHECK(close(data) == 0);
	CHECK(set_state(VFIO_DEVICE_STATE_STOP, &none) == 0);

	CHECK(set_state(VFIO_DEVICE_STATE_RESUMING, &data) == 0 && data >= 0);
	char *volatile bad = (char *)8; /* hidden from the compiler's buffer checks */
	CHECK_ERRNO(EFAULT, write(data, bad, 16));
	for (size_t off = 0; off < len;) {
		ssize_t n = write(data, saved + off, len - off);
		CHECK(n > 0);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	CHECK(close(data) == 0);
	CHECK(set_state(VFIO_DEVICE_STATE_STOP, &none) == 0);
	CHECK(set_state(VFIO_DEVICE_STATE_RUNNING, &none) == 0);
	printf("migration: saved and resumed %zu bytes\n", len);
	free(saved);
	CHECK(close(dev) == 0 && close(iommufd) == 0);
	return report("migration");
}
