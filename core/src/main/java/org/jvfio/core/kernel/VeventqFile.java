package org.jvfio.core.kernel;

import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.Veventq;

/*
 * The fd of a vEVENTQ ("[iommufd-viommu-event]", drivers/iommu/iommufd/eventq.c,
 * iommufd_veventq_fops): read(2) copies whole events into user memory (Veventq.read); there is no
 * write (EINVAL); the file is nonseekable_open'ed, so pread and pwrite are ESPIPE. Its release drops
 * the fd's reference on the vEVENTQ object, which IOMMU_DESTROY then may destroy.
 *
 * The kernel's fd also holds the iommufd context (iommufd_ctx_get): closing /dev/iommu while a
 * vEVENTQ fd is open does not release the context there. Here the context is gone at the /dev/iommu
 * fd's last close (its pins no longer count), and the vEVENTQ fd keeps only its queue, still
 * readable.
 */
final class VeventqFile extends OpenFile {
  private final Veventq queue;
  private final UserAddressSpace memory;

  VeventqFile(Veventq queue, UserAddressSpace memory) {
    this.queue = queue;
    this.memory = memory;
  }

  @Override
  long read(long addr, long count) {
    return queue.read(
        vfsCount(addr, count, 0),
        (offset, bytes) -> {
          UapiException.check(
              memory.isWritable(addr + offset, bytes.remaining()),
              Errno.EFAULT,
              "read buffer unwritable");
          memory.write(addr + offset, bytes);
        });
  }

  @Override
  boolean seekable() {
    return false;
  }

  /**
   * {@code iommufd_eventq_fops_poll} of a vEVENTQ: readable when an event waits, never writable.
   */
  @Override
  int poll() {
    return queue.readable() ? FakeKernel.POLLIN | FakeKernel.POLLRDNORM : 0;
  }

  @Override
  void release() {
    queue.releaseFile();
  }
}
