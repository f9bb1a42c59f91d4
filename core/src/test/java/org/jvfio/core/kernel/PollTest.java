package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_FAULT_QUEUE_ALLOC;
import static org.jvfio.core.kernel.FakeKernel.POLLERR;
import static org.jvfio.core.kernel.FakeKernel.POLLHUP;
import static org.jvfio.core.kernel.FakeKernel.POLLIN;
import static org.jvfio.core.kernel.FakeKernel.POLLNVAL;
import static org.jvfio.core.kernel.FakeKernel.POLLOUT;
import static org.jvfio.core.kernel.FakeKernel.POLLRDNORM;
import static org.jvfio.core.kernel.FakeKernel.POLLWRNORM;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvfio.api.iommufd.IommuFaultAlloc;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.VfioDeviceDriver;

/**
 * {@code do_pollfd} ({@code fs/select.c}) on each kind of fd: what {@link FakeKernel#poll} answers.
 * The fault queue's readiness as faults come and go is in {@code FaultQueueSelftestTest}.
 */
class PollTest {
  private static final int ALL = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
  private static final int POLLPRI = 0x0002;

  private final FakeKernel kernel =
      FakeKernel.builder()
          .iommu(MockIommuDriver.create())
          .device(VfioDeviceDriver.withoutMigration(Optional.empty()))
          .build();
  private final Syscalls sys = new Syscalls(kernel);
  private final int iommufd = sys.open(FakeKernel.IOMMU_PATH);

  @Test
  void filesWithoutPoll_areReadyForWhatIsAsked_DEFAULT_POLLMASK() {
    int device = sys.open(FakeKernel.devicePath(0));
    for (int fd : new int[] {iommufd, device}) {
      assertEquals(ALL, kernel.poll(fd, ALL | POLLPRI | POLLERR | POLLHUP));
      assertEquals(POLLOUT, kernel.poll(fd, POLLOUT));
      assertEquals(0, kernel.poll(fd, POLLPRI));
      assertEquals(0, kernel.poll(fd, 0));
    }
  }

  @Test
  void negativeFd_isIgnored_closedFd_isPOLLNVAL() {
    assertEquals(0, kernel.poll(-1, ALL));
    assertEquals(0, kernel.poll(Integer.MIN_VALUE, ALL));
    ok(kernel.close(iommufd));
    assertEquals(POLLNVAL, kernel.poll(iommufd, ALL));
    assertEquals(POLLNVAL, kernel.poll(iommufd, 0), "whatever was asked");
    assertEquals(POLLNVAL, kernel.poll(12345, POLLIN));
  }

  @Test
  void emptyFaultQueue_isWritableOnly_andEventsAreTheLow16Bits() {
    long arg = sys.put(16, new IommuFaultAlloc(16, 0, 0, 0)::encode);
    ok(sys.ioctl(iommufd, IOMMU_FAULT_QUEUE_ALLOC, arg));
    int faultFd = sys.get(arg, 16, IommuFaultAlloc::decode).outFaultFd();
    assertEquals(POLLOUT, kernel.poll(faultFd, ALL));
    assertEquals(0, kernel.poll(faultFd, POLLIN | POLLRDNORM));
    assertEquals(0, kernel.poll(faultFd, POLLOUT << 16), "a u16 field: higher bits are not events");
  }
}
