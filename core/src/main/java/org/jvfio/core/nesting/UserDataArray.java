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
  /**
   * Returns {@code data_type}: one of {@code Iommufd.IOMMU_*_INVALIDATE_DATA_*}.
   *
   * @return the {@code data_type} of {@code struct iommu_hwpt_invalidate}
   */
  int type();

  /**
   * Returns {@code entry_len}, the bytes per entry (unsigned).
   *
   * @return the {@code entry_len} of {@code struct iommu_hwpt_invalidate}
   */
  int entryLen();

  /**
   * Returns {@code entry_num}, the number of entries (unsigned).
   *
   * @return the {@code entry_num} of {@code struct iommu_hwpt_invalidate}
   */
  int entryNum();

  /**
   * Copies {@code count} bytes at {@code offset} into the array, little-endian.
   *
   * @param offset the byte offset from {@code data_uptr}
   * @param count the bytes to copy
   * @return a little-endian buffer of the {@code count} bytes, positioned at 0
   * @throws UapiException {@code EFAULT} if they cannot be read
   */
  ByteBuffer read(long offset, int count);

  /**
   * Returns whether the {@code length} bytes from {@code offset} can all be read (what one {@code
   * copy_from_user} of the whole array needs).
   *
   * @param offset the byte offset from {@code data_uptr}
   * @param length the bytes that must be readable
   * @return true if every byte of the range can be read
   */
  boolean readable(long offset, long length);

  /**
   * Returns whether {@code data_uptr} is 0 (a null array pointer); false unless overridden.
   *
   * @return true if {@code data_uptr} is 0
   */
  default boolean isNull() {
    return false;
  }

  /**
   * Returns an array of {@code entryNum} entries of {@code entryLen} bytes held in {@code bytes}.
   *
   * @param type the {@code data_type}
   * @param entryLen the {@code entry_len}, the bytes per entry
   * @param entryNum the {@code entry_num}, the number of entries
   * @param bytes the array's bytes, copied; reads beyond them give {@code EFAULT}
   * @return an array whose bytes are all readable and whose {@code data_uptr} is not null
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
