package org.jvfio.core.nesting;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * An array of driver requests: {@code struct iommu_user_data_array} of {@code
 * include/linux/iommu.h} (type, entry length, entry count, user pointer). Entry {@code i} starts
 * {@code entryLen * i} bytes into the array. Bytes are read lazily, when a driver copies an entry.
 */
public interface UserDataArray {
  /** Returns {@code data_type}: one of {@code Iommufd.IOMMU_*_INVALIDATE_DATA_*}. */
  int type();

  /** Returns {@code entry_len}, the bytes per entry (unsigned). */
  int entryLen();

  /** Returns {@code entry_num}, the number of entries (unsigned). */
  int entryNum();

  /**
   * Copies {@code count} bytes at {@code offset} into the array, little-endian.
   *
   * @throws UapiException {@code EFAULT} if they cannot be read
   */
  ByteBuffer read(long offset, int count);

  /**
   * Returns whether the {@code length} bytes from {@code offset} can all be read (what one {@code
   * copy_from_user} of the whole array needs).
   */
  boolean readable(long offset, long length);

  /** Returns whether {@code data_uptr} is 0 (a null array pointer); false unless overridden. */
  default boolean isNull() {
    return false;
  }

  /**
   * Returns an array of {@code entryNum} entries of {@code entryLen} bytes held in {@code bytes}.
   */
  static UserDataArray of(int type, int entryLen, int entryNum, byte[] bytes) {
    byte[] copy = bytes.clone();
    return new UserDataArray() {
      @Override
      public int type() {
        return type;
      }

      @Override
      public int entryLen() {
        return entryLen;
      }

      @Override
      public int entryNum() {
        return entryNum;
      }

      @Override
      public ByteBuffer read(long offset, int count) {
        UapiException.check(readable(offset, count), Errno.EFAULT, "array not readable");
        return ByteBuffer.wrap(copy, (int) offset, count).slice().order(ByteOrder.LITTLE_ENDIAN);
      }

      @Override
      public boolean readable(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= copy.length - length;
      }
    };
  }
}
