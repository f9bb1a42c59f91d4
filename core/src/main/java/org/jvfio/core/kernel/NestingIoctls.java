package org.jvfio.core.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvfio.api.iommufd.IommuHwptInvalidate;
import org.jvfio.api.iommufd.IommuVdeviceAlloc;
import org.jvfio.api.iommufd.IommuVeventqAlloc;
import org.jvfio.api.iommufd.IommuViommuAlloc;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.iommufd.Veventq;
import org.jvfio.core.nesting.HwptInvalidateResult;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.nesting.UserDataArray;

/*
 * The byte layer of the nesting ioctls of /dev/iommu (IOMMU_HWPT_INVALIDATE, IOMMU_VIOMMU_ALLOC,
 * IOMMU_VDEVICE_ALLOC, IOMMU_VEVENTQ_ALLOC) and the driver data of a nested IOMMU_HWPT_ALLOC, over UserMemory. IommuFile
 * has done the common size logic; these decode the api record, call the typed model and reply.
 *
 * User data and request arrays are read lazily, by the driver after its checks, through views of
 * user memory that read only what a driver asks for (never a buffer sized by a user length).
 * HWPT_INVALIDATE writes entry_num back whether the call succeeded or not; if that write faults,
 * EFAULT replaces the call's result, as iommufd_hwpt_invalidate() does. A vIOMMU or vDEVICE whose
 * reply cannot be written is destroyed again; so is a vEVENTQ, whose fd is then closed.
 */
final class NestingIoctls {
  private NestingIoctls() {}

  /** {@code struct iommu_user_data} of a HWPT_ALLOC or VIOMMU_ALLOC, read from user memory. */
  static UserData userData(UserAddressSpace memory, int type, int length, long uptr) {
    return new UserData() {
      @Override
      public int type() {
        return type;
      }

      @Override
      public long length() {
        return Integer.toUnsignedLong(length);
      }

      @Override
      public ByteBuffer read(int count) {
        return memory.read(uptr, count).order(ByteOrder.LITTLE_ENDIAN);
      }
    };
  }

  /** {@code struct iommu_user_data_array} of a HWPT_INVALIDATE, read from user memory. */
  static UserDataArray userDataArray(UserAddressSpace memory, IommuHwptInvalidate s) {
    return new UserDataArray() {
      @Override
      public int type() {
        return s.dataType();
      }

      @Override
      public int entryLen() {
        return s.entryLen();
      }

      @Override
      public int entryNum() {
        return s.entryNum();
      }

      @Override
      public boolean isNull() {
        return s.dataUptr() == 0;
      }

      @Override
      public ByteBuffer read(long offset, int count) {
        return memory.read(s.dataUptr() + offset, count).order(ByteOrder.LITTLE_ENDIAN);
      }

      @Override
      public boolean readable(long offset, long length) {
        long at = s.dataUptr() + offset;
        return Long.compareUnsigned(at, s.dataUptr()) >= 0 && memory.isAccessible(at, length);
      }
    };
  }

  static void hwptInvalidate(
      IommufdContext ctx, UserAddressSpace memory, long arg, long userSize, ByteBuffer cmd) {
    IommuHwptInvalidate s = IommuHwptInvalidate.decode(cmd);
    HwptInvalidateResult r =
        ctx.nesting().hwptInvalidate(s.hwptId(), userDataArray(memory, s), s.reserved());
    UserCopy.respond(
        memory,
        arg,
        userSize,
        IommuHwptInvalidate.SIZE,
        new IommuHwptInvalidate(
                s.size(),
                s.hwptId(),
                s.dataUptr(),
                s.dataType(),
                s.entryLen(),
                r.entryNum(),
                s.reserved())
            ::encode);
    r.orThrow();
  }

  static void viommuAlloc(
      IommufdContext ctx, UserAddressSpace memory, long arg, long userSize, ByteBuffer cmd) {
    IommuViommuAlloc s = IommuViommuAlloc.decode(cmd);
    int id =
        ctx.nesting()
            .viommuAlloc(
                s.flags(),
                s.type(),
                s.devId(),
                s.hwptId(),
                userData(memory, s.type(), s.dataLen(), s.dataUptr()));
    try {
      UserCopy.respond(
          memory,
          arg,
          userSize,
          IommuViommuAlloc.SIZE,
          new IommuViommuAlloc(
                  s.size(),
                  s.flags(),
                  s.type(),
                  s.devId(),
                  s.hwptId(),
                  id,
                  s.dataLen(),
                  s.reserved(),
                  s.dataUptr())
              ::encode);
    } catch (UapiException fault) {
      ctx.destroy(id);
      throw fault;
    }
  }

  static void vdeviceAlloc(
      IommufdContext ctx, UserAddressSpace memory, long arg, long userSize, ByteBuffer cmd) {
    IommuVdeviceAlloc s = IommuVdeviceAlloc.decode(cmd);
    int id = ctx.nesting().vdeviceAlloc(s.viommuId(), s.devId(), s.virtId());
    try {
      UserCopy.respond(
          memory,
          arg,
          userSize,
          IommuVdeviceAlloc.SIZE,
          new IommuVdeviceAlloc(s.size(), s.viommuId(), s.devId(), id, s.virtId())::encode);
    } catch (UapiException fault) {
      ctx.destroy(id);
      throw fault;
    }
  }

  /**
   * IOMMU_VEVENTQ_ALLOC: the object, then its fd (EMFILE without one), then the reply; a failure
   * after the object undoes what was done, as the kernel's out_abort does.
   */
  static void veventqAlloc(
      FakeKernel kernel,
      IommufdContext ctx,
      UserAddressSpace memory,
      long arg,
      long userSize,
      ByteBuffer cmd) {
    IommuVeventqAlloc s = IommuVeventqAlloc.decode(cmd);
    int id =
        ctx.nesting()
            .veventqAlloc(s.flags(), s.viommuId(), s.type(), s.veventqDepth(), s.reserved());
    Veventq queue = ctx.nesting().veventq(id);
    VeventqFile file = new VeventqFile(queue, memory);
    int fd = -1;
    try {
      fd = kernel.install(file);
      UserCopy.respond(
          memory,
          arg,
          userSize,
          IommuVeventqAlloc.SIZE,
          new IommuVeventqAlloc(
                  s.size(),
                  s.flags(),
                  s.viommuId(),
                  s.type(),
                  s.veventqDepth(),
                  id,
                  fd,
                  s.reserved())
              ::encode);
    } catch (UapiException e) {
      if (fd >= 0) {
        kernel.uninstall(fd, file);
      }
      queue.releaseFile();
      ctx.destroy(id);
      throw e;
    }
  }
}
