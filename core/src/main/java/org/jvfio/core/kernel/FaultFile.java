package org.jvfio.core.kernel;

import java.util.function.Consumer;
import org.jvfio.api.iommufd.IommuFaultAlloc;
import org.jvfio.api.iommufd.IommuHwptPageResponse;
import org.jvfio.api.iommufd.IommuHwptPgfault;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.IommufdContext;

/*
 * The fd of a fault queue ("[iommufd-pgfault]", drivers/iommu/iommufd/eventq.c): read(2) returns
 * struct iommu_hwpt_pgfault records, write(2) takes struct iommu_hwpt_page_response; the checks and
 * the queue are IommufdFaults'. This class moves the records between the queue and user memory:
 * the VFS's checks come first (OpenFile.vfsCount: access_ok, then the count cut to MAX_RW_COUNT).
 * The file is opened with nonseekable_open, so pread and pwrite are ESPIPE; it has no ioctl
 * (ENOTTY). Its last close drops the fd's reference on the object (iommufd_eventq_fops_release);
 * the file holds its context, as iommufd_ctx_get does. The read never blocks (an empty queue
 * reads 0); poll(2) says when a fault waits.
 *
 * Thread-safety: the context serialises the queue.
 */
final class FaultFile extends OpenFile {
  final IommufdContext ctx;
  private final int faultId;
  private final UserAddressSpace memory;

  private FaultFile(IommufdContext ctx, int faultId, UserAddressSpace memory) {
    this.ctx = ctx;
    this.faultId = faultId;
    this.memory = memory;
  }

  /**
   * {@code iommufd_fault_alloc}: the object, a new fd for it, then the reply; a failed reply puts
   * the fd and destroys the object (the kernel's {@code out_put_fdno}).
   */
  static void alloc(
      FakeKernel kernel,
      IommufdContext ctx,
      UserAddressSpace memory,
      IommuFaultAlloc s,
      Consumer<IommuFaultAlloc> respond) {
    int id = ctx.faults().alloc(s.flags());
    FaultFile file = new FaultFile(ctx, id, memory);
    int fd;
    try {
      fd = kernel.install(file);
    } catch (UapiException e) {
      abort(ctx, id);
      throw e;
    }
    try {
      respond.accept(new IommuFaultAlloc(s.size(), s.flags(), id, fd));
    } catch (UapiException e) {
      kernel.uninstall(fd, file);
      abort(ctx, id);
      throw e;
    }
  }

  private static void abort(IommufdContext ctx, int id) {
    ctx.faults().closeFd(id);
    ctx.destroy(id);
  }

  @Override
  long read(long addr, long count) {
    long n = vfsCount(addr, count, 0);
    return ctx.faults()
        .read(
            faultId,
            n,
            (offset, record) ->
                memory.write(
                    addr + offset, UserCopy.encode(IommuHwptPgfault.SIZE, record::encode)));
  }

  @Override
  long write(long addr, long count) {
    long n = vfsCount(addr, count, 0);
    return ctx.faults()
        .write(
            faultId,
            n,
            offset -> {
              long at = addr + offset;
              if (!memory.isAccessible(at, IommuHwptPageResponse.SIZE)) {
                return null;
              }
              return IommuHwptPageResponse.decode(memory.read(at, IommuHwptPageResponse.SIZE));
            });
  }

  @Override
  boolean seekable() {
    return false;
  }

  /**
   * {@code iommufd_eventq_fops_poll} of a fault queue: always writable, readable when a fault
   * waits.
   */
  @Override
  int poll() {
    int in = ctx.faults().readable(faultId) ? FakeKernel.POLLIN | FakeKernel.POLLRDNORM : 0;
    return FakeKernel.POLLOUT | in;
  }

  @Override
  void release() {
    ctx.faults().closeFd(faultId);
  }
}
