package org.jvfio.core.vfio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/** A tiny user memory for the byte door: allocations at distinct addresses, EFAULT elsewhere. */
final class TestUserMemory implements UserAccess {
  private final TreeMap<Long, byte[]> blocks = new TreeMap<>();
  private long next = 0x7f00_0000_0000L;

  /** Allocates {@code size} zeroed bytes and returns their address. */
  long allocate(int size) {
    long address = next;
    blocks.put(address, new byte[size]);
    next += size + 4096;
    return address;
  }

  /** Returns a little-endian view of the block at {@code address}. */
  ByteBuffer block(long address) {
    return ByteBuffer.wrap(blocks.get(address)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private byte[] find(long address, int length) {
    Map.Entry<Long, byte[]> e = blocks.floorEntry(address);
    if (e == null || address - e.getKey() + length > e.getValue().length) {
      throw new UapiException(Errno.EFAULT, "bad address 0x" + Long.toHexString(address));
    }
    return e.getValue();
  }

  @Override
  public ByteBuffer read(long address, int length) {
    byte[] b = find(address, length);
    int off = (int) (address - blocks.floorKey(address));
    return ByteBuffer.wrap(b.clone(), off, length).slice();
  }

  @Override
  public void write(long address, ByteBuffer source) {
    byte[] b = find(address, source.remaining());
    int off = (int) (address - blocks.floorKey(address));
    source.get(b, off, source.remaining());
  }
}
