package org.jvfio.api;

/**
 * Linux errno values returned by the VFIO and iommufd ioctls, with the numbers of {@code
 * include/uapi/asm-generic/errno-base.h} and {@code errno.h} as used on x86-64 and arm64.
 *
 * <p>An ioctl that fails returns {@code -1} with {@code errno} set to one of these; the
 * syscall-shaped facade of jvfio returns {@code -code()} instead, like the raw system call. {@code
 * EDEADLOCK} is an alias of {@code EDEADLK} (35) on these architectures and is therefore not a
 * separate constant.
 */
public enum Errno {
  /** Operation not permitted (1). */
  EPERM(1),
  /** No such file or directory; iommufd's answer for a missing or wrong-type object id (2). */
  ENOENT(2),
  /** I/O error; e.g. a device DMA-logging tracker in its error state (5). */
  EIO(5),
  /** No such device or address (6). */
  ENXIO(6),
  /** Argument list too long; too many DMA-logging ranges, or a non-zero struct tail (7). */
  E2BIG(7),
  /** Bad file descriptor (9). */
  EBADF(9),
  /** Try again (11). */
  EAGAIN(11),
  /** Out of memory (12). */
  ENOMEM(12),
  /** Permission denied (13). */
  EACCES(13),
  /**
   * Bad address: a user pointer that {@code copy_from_user}/{@code copy_to_user} cannot use (14).
   */
  EFAULT(14),
  /** Device or resource busy (16). */
  EBUSY(16),
  /** File exists; e.g. an IOAS map over an existing mapping (17). */
  EEXIST(17),
  /** No such device (19). */
  ENODEV(19),
  /** Invalid argument (22). */
  EINVAL(22),
  /** Inappropriate ioctl for device; also an absent VFIO feature (25). */
  ENOTTY(25),
  /** No space left on device; e.g. no free IOVA for an IOAS map (28). */
  ENOSPC(28),
  /** Result out of range (34). */
  ERANGE(34),
  /** Resource deadlock would occur; {@code EDEADLOCK} is the same number (35). */
  EDEADLK(35),
  /** No message of desired type; a PRE_COPY data stream at its temporary end (42). */
  ENOMSG(42),
  /** Value too large for defined data type; an unsigned 64-bit range that wraps (75). */
  EOVERFLOW(75),
  /**
   * File descriptor in bad state; e.g. {@code VFIO_DEVICE_BIND_IOMMUFD} given an open fd that is
   * not an iommufd (77).
   */
  EBADFD(77),
  /** Message too long (90). */
  EMSGSIZE(90),
  /** Operation not supported; e.g. dirty tracking on a HWPT allocated without it (95). */
  EOPNOTSUPP(95),
  /** Address already in use; e.g. an allowed IOVA range that hits a reserved one (98). */
  EADDRINUSE(98);

  private final int code;

  Errno(int code) {
    this.code = code;
  }

  /**
   * Returns the positive errno number, as found in {@code errno} after a failed call.
   *
   * @return the errno number, e.g. 22 for {@code EINVAL}
   */
  public int code() {
    return code;
  }

  /**
   * Returns the errno with the given positive number.
   *
   * @param code a positive errno number, e.g. 22
   * @return the constant whose {@link #code()} is {@code code}
   * @throws IllegalArgumentException if the number is not one of the constants of this enum
   */
  public static Errno of(int code) {
    for (Errno e : values()) {
      if (e.code == code) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown errno " + code);
  }
}
