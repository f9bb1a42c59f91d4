package org.jvfio.core.nesting;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/*
 * The kernel's copy helpers for driver data (include/linux/iommu.h): __iommu_copy_struct_from_user
 * and __iommu_copy_struct_from_user_array refuse a type mismatch and a length below the struct's
 * first version or above the kernel's struct with EINVAL, then copy (EFAULT); the full-array copy of
 * iommu_copy_struct_from_full_user_array uses copy_struct_from_user per entry (a shorter entry is
 * zero-extended, a longer one must be zero beyond the kernel's struct: E2BIG). Every buffer is
 * sized by the kernel's struct, never by a user length. eachEntry is the entry loop of the
 * drivers' cache_invalidate_user.
 */
final class UserCopies {
  private UserCopies() {}

  /** {@code __iommu_copy_struct_from_user}: the struct, {@code size} bytes, zero-extended. */
  static ByteBuffer structFromUser(UserData data, int type, int size, int minSize) {
    UapiException.check(data.type() == type, Errno.EINVAL, "data_type mismatch");
    long len = data.length();
    UapiException.check(
        Long.compareUnsigned(len, minSize) >= 0 && Long.compareUnsigned(len, size) <= 0,
        Errno.EINVAL,
        "data_len " + len + " outside [" + minSize + ", " + size + "]");
    return extend(data.read((int) len), size);
  }

  /** {@code __iommu_copy_struct_from_user_array}: entry {@code index}, {@code size} bytes. */
  static ByteBuffer entryFromUser(UserDataArray array, int type, int index, int size, int minSize) {
    UapiException.check(array.type() == type, Errno.EINVAL, "data_type mismatch");
    long len = Integer.toUnsignedLong(array.entryLen());
    UapiException.check(
        len >= minSize && len <= size,
        Errno.EINVAL,
        "entry_len " + len + " outside [" + minSize + ", " + size + "]");
    return extend(array.read(len * index, (int) len), size);
  }

  /**
   * A driver's {@code cache_invalidate_user} loop: copies each entry in turn ({@link
   * #entryFromUser}) and runs it; stops at the first entry that cannot be copied or that {@code
   * run} refuses (with a {@link UapiException}), the entries before it executed.
   */
  static HwptInvalidateResult eachEntry(
      UserDataArray array, int type, int size, int minSize, Consumer<ByteBuffer> run) {
    int n = array.entryNum();
    for (int i = 0; Integer.compareUnsigned(i, n) < 0; i++) {
      try {
        run.accept(entryFromUser(array, type, i, size, minSize));
      } catch (UapiException e) {
        return HwptInvalidateResult.failed(i, e.errno());
      }
    }
    return HwptInvalidateResult.ok(n);
  }

  /** {@code copy_struct_from_user} of entry {@code index} into {@code size} bytes. */
  static ByteBuffer entryStructFromUser(UserDataArray array, int index, int size) {
    long len = Integer.toUnsignedLong(array.entryLen());
    long at = len * index;
    if (len > size) {
      UapiException.check(array.readable(at, len), Errno.EFAULT, "entry not readable");
      for (long off = size; off < len; off += 4096) {
        ByteBuffer tail = array.read(at + off, (int) Math.min(len - off, 4096));
        while (tail.hasRemaining()) {
          UapiException.check(tail.get() == 0, Errno.E2BIG, "non-zero bytes past the entry");
        }
      }
      return extend(array.read(at, size), size);
    }
    return extend(array.read(at, (int) len), size);
  }

  private static ByteBuffer extend(ByteBuffer bytes, int size) {
    ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    out.put(bytes);
    return out.clear();
  }
}
