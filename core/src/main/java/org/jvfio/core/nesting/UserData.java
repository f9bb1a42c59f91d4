package org.jvfio.core.nesting;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;

/**
 * Driver data passed with an allocation: {@code struct iommu_user_data} of {@code
 * include/linux/iommu.h} (type, length, user pointer). The bytes are read only when a driver copies
 * them, after its checks, as the kernel's {@code iommu_copy_struct_from_user} does; so an
 * unreadable pointer is {@code EFAULT} only if every earlier check passed.
 */
public interface UserData {
  /**
   * Returns {@code data_type}: one of {@code Iommufd.IOMMU_HWPT_DATA_*} or a vIOMMU type.
   *
   * @return the {@code data_type} of the allocating ioctl
   */
  int type();

  /**
   * Returns {@code data_len}, unsigned.
   *
   * @return the {@code data_len} of the allocating ioctl
   */
  long length();

  /**
   * Copies the first {@code count} bytes ({@code count <= length()}), little-endian.
   *
   * @param count the bytes to copy, at most {@link #length()}
   * @return a little-endian buffer of the {@code count} bytes, positioned at 0
   * @throws UapiException {@code EFAULT} if they cannot be read
   */
  ByteBuffer read(int count);

  /**
   * Returns no data: {@code IOMMU_HWPT_DATA_NONE}, length 0.
   *
   * @return data of type {@code IOMMU_HWPT_DATA_NONE} with no bytes
   */
  static UserData none() {
    return of(Iommufd.IOMMU_HWPT_DATA_NONE, new byte[0]);
  }

  /**
   * Returns data of {@code type} whose bytes are {@code bytes} (copied).
   *
   * @param type the {@code data_type}
   * @param bytes the data's bytes, copied; their count is the {@code data_len}
   * @return data of {@code type} and length {@code bytes.length}
   */
  static UserData of(int type, byte[] bytes) {
    byte[] copy = bytes.clone();
    return new UserData() {
      @Override
      public int type() {
        return type;
      }

      @Override
      public long length() {
        return copy.length;
      }

      @Override
      public ByteBuffer read(int count) {
        return ByteBuffer.wrap(copy, 0, count).slice().order(ByteOrder.LITTLE_ENDIAN);
      }
    };
  }

  /**
   * Returns data of {@code type} that claims {@code length} bytes none of which can be read: what a
   * typed caller passes when it has only the header (reading gives {@code EFAULT}).
   *
   * @param type the {@code data_type}
   * @param length the {@code data_len} claimed, unsigned
   * @return data whose every read throws {@code EFAULT}
   */
  static UserData unreadable(int type, long length) {
    return new UserData() {
      @Override
      public int type() {
        return type;
      }

      @Override
      public long length() {
        return length;
      }

      @Override
      public ByteBuffer read(int count) {
        throw new UapiException(Errno.EFAULT, "user data not readable");
      }
    };
  }
}
