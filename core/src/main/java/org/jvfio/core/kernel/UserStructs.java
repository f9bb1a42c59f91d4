package org.jvfio.core.kernel;

import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jvfio.api.vfio.VfioDeviceFeature;
import org.jvfio.core.UapiException;

/**
 * Lays out uAPI structs in a {@link UserMemory} and reads them back, as a C program does with its
 * headers: the encoder and decoder are those of the {@code org.jvfio.api} records ({@code
 * IommuIoasAlloc::encode}, {@code VfioDeviceBindIommufd::decode}), and the address is what an
 * {@code ioctl} argument points to.
 *
 * <pre>{@code
 * UserStructs structs = UserStructs.of(kernel.userMemory());
 * long arg = structs.put(IommuIoasAlloc.SIZE, new IommuIoasAlloc(IommuIoasAlloc.SIZE, 0, 0)::encode);
 * int rc = kernel.ioctl(iommufd, IOMMU_IOAS_ALLOC, arg);
 * int ioas = structs.get(arg, IommuIoasAlloc.SIZE, IommuIoasAlloc::decode).outIoasId();
 * }</pre>
 *
 * <p>{@code VFIO_DEVICE_FEATURE} takes {@code struct vfio_device_feature} followed by the feature's
 * payload in one buffer whose {@code argsz} covers both ({@code vfio_ioctl_device_feature} in
 * {@code drivers/vfio/vfio_main.c}); {@link #putFeature} lays it out and {@link #getFeaturePayload}
 * reads the payload the kernel wrote back.
 *
 * <p>Thread-safe as its {@code UserMemory} is; it holds no state of its own.
 */
public final class UserStructs {
  private final UserMemory mem;

  private UserStructs(UserMemory mem) {
    this.mem = mem;
  }

  /**
   * Returns the struct helpers of {@code mem}.
   *
   * @param mem the process memory the structs live in, such as {@link FakeKernel#userMemory()}
   * @return helpers that allocate, write and read structs in {@code mem}
   */
  public static UserStructs of(UserMemory mem) {
    return new UserStructs(Preconditions.checkNotNull(mem));
  }

  /**
   * Returns a new little-endian buffer of {@code size} bytes filled by {@code encoder}, flipped for
   * reading; bytes the encoder does not write stay zero.
   *
   * @param size the struct size in bytes (the record's {@code SIZE}, or more)
   * @param encoder writes the struct at the buffer's position, as an api record's {@code encode}
   * @return the encoded bytes, positioned at 0 with {@code size} bytes remaining
   * @throws IllegalArgumentException if {@code size} is negative
   */
  public static ByteBuffer encode(int size, Consumer<ByteBuffer> encoder) {
    Preconditions.checkArgument(size >= 0, "negative size %s", size);
    ByteBuffer buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    encoder.accept(buf);
    return buf.clear();
  }

  /**
   * Allocates {@code size} bytes at an 8-byte aligned address, writes the struct {@code encoder}
   * produces there, and returns the address.
   *
   * @param size the struct size in bytes
   * @param encoder writes the struct, as an api record's {@code encode}
   * @return the user address of the struct
   * @throws IllegalArgumentException if {@code size} is not positive
   */
  public long put(int size, Consumer<ByteBuffer> encoder) {
    long addr = mem.allocate(size, 8, 0);
    mem.write(addr, encode(size, encoder));
    return addr;
  }

  /**
   * Writes the struct {@code encoder} produces over {@code size} bytes at {@code addr}, as a C
   * program assigns a struct in place.
   *
   * @param addr the user address of the struct
   * @param size the struct size in bytes
   * @param encoder writes the struct, as an api record's {@code encode}
   * @throws UapiException {@code EFAULT} if any byte is outside a live allocation (nothing written)
   */
  public void write(long addr, int size, Consumer<ByteBuffer> encoder) {
    mem.write(addr, encode(size, encoder));
  }

  /**
   * Reads the struct of {@code size} bytes at {@code addr}.
   *
   * @param <T> the struct's record type
   * @param addr the user address of the struct
   * @param size the struct size in bytes
   * @param decoder reads the struct, as an api record's {@code decode}
   * @return the decoded struct
   * @throws UapiException {@code EFAULT} if any byte is outside a live allocation
   */
  public <T> T get(long addr, int size, Function<ByteBuffer, T> decoder) {
    return decoder.apply(mem.read(addr, size));
  }

  /**
   * Allocates the argument of {@code VFIO_DEVICE_FEATURE}: {@code struct vfio_device_feature} with
   * {@code flags} (the feature index ORed with {@code VFIO_DEVICE_FEATURE_GET}, {@code _SET} or
   * {@code _PROBE}) and {@code argsz} = 8 + {@code payloadSize}, followed by the payload {@code
   * payload} writes; returns the address.
   *
   * @param flags {@code vfio_device_feature.flags}
   * @param payloadSize the payload's size in bytes (0 for none, as for {@code _PROBE})
   * @param payload writes the payload after the header, as an api record's {@code encode}
   * @return the user address of the header
   * @throws IllegalArgumentException if {@code payloadSize} is negative or the total overflows
   */
  public long putFeature(int flags, int payloadSize, Consumer<ByteBuffer> payload) {
    Preconditions.checkArgument(payloadSize >= 0, "negative payload size %s", payloadSize);
    int argsz = Math.addExact(VfioDeviceFeature.SIZE, payloadSize);
    return put(
        argsz,
        buf -> {
          new VfioDeviceFeature(argsz, flags).encode(buf);
          payload.accept(buf);
        });
  }

  /**
   * Reads the payload that follows the {@code struct vfio_device_feature} at {@code arg}, such as
   * the {@code struct vfio_device_feature_mig_state} a {@code GET} filled in.
   *
   * @param <T> the payload's record type
   * @param arg the address {@link #putFeature} returned
   * @param size the payload size in bytes
   * @param decoder reads the payload, as an api record's {@code decode}
   * @return the decoded payload
   * @throws UapiException {@code EFAULT} if any byte is outside a live allocation
   */
  public <T> T getFeaturePayload(long arg, int size, Function<ByteBuffer, T> decoder) {
    return get(arg + VfioDeviceFeature.SIZE, size, decoder);
  }
}
