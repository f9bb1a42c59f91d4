package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

class UserMemoryTest {
  private final UserMemory mem = new UserMemory();

  @Test
  void allocate_withOffset_returnsUnalignedAddress() {
    long a = mem.allocate(64, 4096, 4);
    assertEquals(4, a & 4095);
    mem.writeLong(a, 0x1122334455667788L);
    assertEquals(0x1122334455667788L, mem.readLong(a));
    assertArrayEquals(
        new byte[] {(byte) 0x88, 0x77},
        new byte[] {mem.read(a, 2).get(), mem.read(a + 1, 1).get()});
  }

  @Test
  void read_pastTheEnd_isEfaultAndCopiesNothing() {
    long a = mem.allocate(16);
    ByteBuffer dst = ByteBuffer.allocate(17);
    UapiException e = assertThrows(UapiException.class, () -> mem.read(a, dst));
    assertEquals(Errno.EFAULT, e.errno());
    assertEquals(0, dst.position());
    assertTrue(mem.isAccessible(a, 16));
    assertFalse(mem.isAccessible(a + 1, 16));
  }

  @Test
  void write_toFreedOrUnmappedMemory_isEfault() {
    long a = mem.allocate(16);
    mem.free(a);
    assertEquals(
        Errno.EFAULT, assertThrows(UapiException.class, () -> mem.writeLong(a, 1)).errno());
    assertEquals(Errno.EFAULT, assertThrows(UapiException.class, () -> mem.readLong(0)).errno());
  }

  @Test
  void orBytes_onlySetsBits() {
    long a = mem.allocate(new byte[] {1, 0, (byte) 0x80});
    mem.orBytes(a, new byte[] {2, 4, 1});
    ByteBuffer b = mem.read(a, 3);
    assertEquals(3, b.get());
    assertEquals(4, b.get());
    assertEquals((byte) 0x81, b.get());
  }

  @Test
  void intAccessors_areLittleEndianU32() {
    long a = mem.allocate(8);
    mem.writeInt(a + 4, 0x8765_4321);
    assertEquals(0x8765_4321, mem.readInt(a + 4));
    assertEquals(0x8765_4321_0000_0000L, mem.readLong(a));
  }

  @Test
  void protect_readOnly_kernelWritesFaultAndReadsWork() {
    long a = mem.allocate(3 * 4096);
    mem.protect(a + 4096, 4096, false);
    assertTrue(mem.isAccessible(a, 3 * 4096));
    assertFalse(mem.isWritable(a, 3 * 4096));
    assertTrue(mem.isWritable(a, 4096));
    UapiException e = assertThrows(UapiException.class, () -> mem.writeInt(a + 4096 + 8, 1));
    assertEquals(Errno.EFAULT, e.errno());
    assertThrows(UapiException.class, () -> mem.orBytes(a + 4095, new byte[] {1, 1}));
    assertEquals(0, mem.read(a + 4095, 2).getShort()); // nothing written by the refused OR
    mem.writeInt(a + 4092, 7); // a write that ends at the protected page is fine
    assertEquals(7, mem.readInt(a + 4092));
    mem.protect(a + 4096, 1, true);
    mem.writeInt(a + 4096 + 8, 9);
    assertEquals(9, mem.readInt(a + 4096 + 8));
  }

  @Test
  void partialFree_unmapsOnlyThosePages() {
    long a = mem.allocate(3 * 4096);
    mem.writeLong(a, 11);
    mem.writeLong(a + 2 * 4096, 33);
    mem.free(a + 4096, 4096);
    assertEquals(11, mem.readLong(a));
    assertEquals(33, mem.readLong(a + 2 * 4096));
    assertFalse(mem.isAccessible(a, 2 * 4096));
    assertEquals(
        Errno.EFAULT, assertThrows(UapiException.class, () -> mem.read(a + 4000, 200)).errno());
    mem.free(a); // what is left of the allocation goes too
    assertFalse(mem.isAccessible(a, 8));
    assertFalse(mem.isAccessible(a + 2 * 4096, 8));
    assertThrows(IllegalArgumentException.class, () -> mem.free(a + 1, 4096));
  }
}
