package org.jvfio.examples;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOC;

import org.jvfio.api.iommufd.IommuIoasAlloc;
import org.jvfio.core.kernel.FakeKernel;
import org.jvfio.core.kernel.UserStructs;

/** The README's syscall example: {@code IOMMU_IOAS_ALLOC} with the struct in user memory. */
final class IoasAllocSyscall {
  private IoasAllocSyscall() {}

  /** Runs the example and returns the ioctl's result and the IOAS id, in that order. */
  static int[] resultAndIoasId() {
    FakeKernel kernel = FakeKernel.builder().guestMemory(1L << 30).iommu("amd-v1").build();
    UserStructs structs = UserStructs.of(kernel.userMemory());
    int iommufd = kernel.open(FakeKernel.IOMMU_PATH); // a file descriptor, or -errno
    long arg =
        structs.put(IommuIoasAlloc.SIZE, new IommuIoasAlloc(IommuIoasAlloc.SIZE, 0, 0)::encode);
    int rc = kernel.ioctl(iommufd, IOMMU_IOAS_ALLOC, arg); // 0, or -errno as ioctl(2) would set
    int ioasId = structs.get(arg, IommuIoasAlloc.SIZE, IommuIoasAlloc::decode).outIoasId();
    return new int[] {rc, ioasId};
  }
}
