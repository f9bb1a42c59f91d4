package org.jvfio.core;

import java.util.Objects;
import org.jvfio.api.Errno;

/**
 * A refusal by the modelled kernel: the ioctl (or model operation) failed with {@link #errno()}.
 *
 * <p>Every uAPI-level refusal in jvfio is one of these, carrying the errno the Linux kernel returns
 * for the same mistake. A call that throws it has changed nothing, unless its Javadoc says
 * otherwise (for example a multi-arc migration state change that fails part way, as the kernel
 * documents).
 */
public final class UapiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The errno the refused call returns; part of the serialized form. */
  private final Errno errno;

  /**
   * Creates a refusal with the given errno and a message saying what was wrong.
   *
   * @param errno the kernel's errno for this refusal
   * @param message what was wrong, for humans
   */
  public UapiException(Errno errno, String message) {
    super(
        Objects.requireNonNull(errno, "errno") + ": " + Objects.requireNonNull(message, "message"));
    this.errno = errno;
  }

  /**
   * Returns the errno the kernel returns for this refusal.
   *
   * @return the errno, e.g. {@link Errno#EINVAL}
   */
  public Errno errno() {
    return errno;
  }

  /**
   * Throws {@code UapiException(errno, message)} unless {@code condition} holds.
   *
   * @param condition the check that must hold
   * @param errno the errno to refuse with
   * @param message the detail message
   * @throws UapiException with {@code errno} if {@code condition} is false
   */
  public static void check(boolean condition, Errno errno, String message) {
    if (!condition) {
      throw new UapiException(errno, message);
    }
  }
}
