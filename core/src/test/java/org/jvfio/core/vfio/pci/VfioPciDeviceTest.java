package org.jvfio.core.vfio.pci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.vfio.Vfio.VFIO_IRQ_INFO_AUTOMASKED;
import static org.jvfio.api.vfio.Vfio.VFIO_IRQ_INFO_EVENTFD;
import static org.jvfio.api.vfio.Vfio.VFIO_IRQ_INFO_MASKABLE;
import static org.jvfio.api.vfio.Vfio.VFIO_IRQ_INFO_NORESIZE;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_MMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_TYPE_PCI_VENDOR_TYPE;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/** vfio-pci region rules, tables from {@code vfio_pci_core.c} and {@code vfio_pci_rdwr.c}. */
class VfioPciDeviceTest {
  private static final int RW = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
  private static final int RWM = RW | VFIO_REGION_INFO_FLAG_MMAP;
  private static final int NV = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x10de;
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));

  private static long off(int index) {
    return (long) index << 40;
  }

  /**
   * BAR0 16K MEM with MSI-X, BAR1 256 B I/O, BAR2 64K MEM (BAR3 its upper half), BAR4 256 B MEM.
   */
  private static VfioPciDevice rich() {
    return VfioPciDevice.builder(0x10de, 0x2330)
        .memBar(0, 0x4000)
        .msix(0, 0x2000, 64)
        .ioBar(1, 256)
        .memBar(2, 0x10000)
        .memBar(4, 256)
        .rom(0x10000)
        .vga()
        .deviceRegion(NV, 1, 0x2000, RWM, List.of(new MmapArea(0x1000, 0x1000)))
        .build();
  }

  private static void assertErrno(Errno expected, Executable call) {
    assertEquals(expected, assertThrows(UapiException.class, call).errno());
  }

  @Test
  void regionInfo_everyIndex_asTheCoreReportsIt() {
    VfioPciDevice d = rich();
    assertEquals(10, d.numRegions());
    List<RegionInfo> expected =
        List.of(
            new RegionInfo(0, RWM, 0x4000, off(0), List.of(new InfoCapability.MsixMappable())),
            new RegionInfo(1, RW, 256, off(1), List.of()),
            new RegionInfo(2, RWM, 0x10000, off(2), List.of()),
            new RegionInfo(3, 0, 0, off(3), List.of()),
            new RegionInfo(4, RWM, 256, off(4), List.of()),
            new RegionInfo(5, 0, 0, off(5), List.of()),
            new RegionInfo(6, VFIO_REGION_INFO_FLAG_READ, 0x10000, off(6), List.of()),
            new RegionInfo(7, RW, 4096, off(7), List.of()),
            new RegionInfo(8, RW, 0xc0000, off(8), List.of()),
            new RegionInfo(
                9,
                RWM,
                0x2000,
                off(9),
                List.of(
                    new InfoCapability.RegionType(NV, 1),
                    new InfoCapability.SparseMmap(List.of(new MmapArea(0x1000, 0x1000))))));
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i), d.regionInfo(i), "region " + i);
    }
    assertErrno(Errno.EINVAL, () -> d.regionInfo(10));
    assertErrno(Errno.EINVAL, () -> d.regionInfo(0xffff_ffffL));
    VfioPciDevice plain = VfioPciDevice.builder(1, 2).build();
    assertErrno(Errno.EINVAL, () -> plain.regionInfo(8)); // no VGA
    assertEquals(new RegionInfo(6, 0, 0, off(6), List.of()), plain.regionInfo(6)); // no ROM
  }

  @Test
  void irqInfo_table() {
    VfioPciDevice d = VfioPciDevice.builder(1, 2).memBar(0, 0x4000).msix(0, 0, 16).msi(4).build();
    int nr = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
    assertEquals(
        new IrqInfo(
            0, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED, 1),
        d.irqInfo(0));
    assertEquals(new IrqInfo(1, nr, 4), d.irqInfo(1));
    assertEquals(new IrqInfo(2, nr, 16), d.irqInfo(2));
    assertEquals(new IrqInfo(3, nr, 1), d.irqInfo(3));
    assertEquals(new IrqInfo(4, nr, 1), d.irqInfo(4));
    assertErrno(Errno.EINVAL, () -> d.irqInfo(5));
    VfioPciDevice pci = VfioPciDevice.builder(1, 2).conventionalPci().noIntx().build();
    assertErrno(Errno.EINVAL, () -> pci.irqInfo(3)); // ERR needs PCIe
    assertEquals(0, pci.irqInfo(0).count());
  }

  @Test
  void read_zeroCount_returnsZeroBeforeAnyCheck() {
    VfioPciDevice d = rich();
    assertEquals(0, d.read(off(200), 0).length);
    assertEquals(0, d.read(off(3) + 12, 0).length);
  }

  @Test
  void read_badRegion_einvalAndCrossingTheEnd_isShort() {
    VfioPciDevice d = rich();
    assertErrno(Errno.EINVAL, () -> d.read(off(10), 4)); // beyond the regions
    assertErrno(Errno.EINVAL, () -> d.read(off(3), 4)); // BAR not implemented
    assertErrno(Errno.EINVAL, () -> d.read(off(2) + 0x10000, 1)); // at the end
    assertEquals(8, d.read(off(2) + 0xfff8, 64).length);
    assertEquals(8, d.write(off(2) + 0xfff8, new byte[64]));
    assertErrno(Errno.EINVAL, () -> d.write(off(6), new byte[4])); // ROM is read-only
    assertEquals(16, d.read(off(6) + 0xfff0, 32).length);
    assertEquals(2, d.read(off(9) + 0x1ffe, 8).length);
    byte[] buf = new byte[16];
    assertEquals(16, d.read(off(2) + 0xfff0, -1L, new ArrayUser(buf), 0), "count is unsigned");
    assertErrno(Errno.EFAULT, () -> d.read(off(7), -1L, new ArrayUser(buf), 0));
  }

  /** A byte array as user memory at address 0. */
  private record ArrayUser(byte[] bytes) implements org.jvfio.core.vfio.UserAccess {
    @Override
    public java.nio.ByteBuffer read(long address, int length) {
      return java.nio.ByteBuffer.wrap(bytes, (int) address, length).slice();
    }

    @Override
    public void write(long address, java.nio.ByteBuffer source) {
      source.get(bytes, (int) address, source.remaining());
    }
  }

  @Test
  void msixTable_readsOnesAndDropsWrites() {
    VfioPciDevice d = rich();
    byte[] ones = new byte[8];
    Arrays.fill(ones, (byte) 0xff);
    assertEquals(8, d.write(off(0) + 0x2000, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
    assertArrayEquals(ones, d.read(off(0) + 0x2000, 8));
    d.write(off(0) + 0x1ffc, new byte[] {9, 9, 9, 9, 9, 9, 9, 9}); // straddles the table start
    assertArrayEquals(new byte[] {9, 9, 9, 9, -1, -1, -1, -1}, d.read(off(0) + 0x1ffc, 8));
    assertEquals(0, d.ioread32(0, 0x2000), "nothing reached the table");
  }

  @Test
  void config_crossingTheEnd_isEfaultAndOnlyCommandBitsAreWritable() {
    VfioPciDevice d = rich();
    assertErrno(Errno.EFAULT, () -> d.read(off(7) + 4094, 4));
    assertErrno(Errno.EFAULT, () -> d.read(off(7) + 4096, 1));
    assertArrayEquals(new byte[] {(byte) 0xde, 0x10, 0x30, 0x23}, d.read(off(7), 4));
    assertEquals(4, d.write(off(7), new byte[] {0, 0, 0, 0})); // ids: dropped
    assertArrayEquals(new byte[] {(byte) 0xde, 0x10}, d.read(off(7), 2));
    assertEquals(2, d.write(off(7) + 4, new byte[] {(byte) 0xf8, (byte) 0xff}));
    assertArrayEquals(new byte[] {0, 4}, d.read(off(7) + 4, 2)); // memory decode now off
    assertErrno(Errno.EIO, () -> d.read(off(2), 4));
    assertErrno(Errno.EIO, () -> d.read(off(6), 4)); // the ROM too
    assertEquals(4, d.read(off(1), 4).length); // I/O BARs do not test memory decode
    d.reset();
    assertEquals(4, d.read(off(2), 4).length);
  }

  @Test
  void vga_onlyTheLegacyWindows() {
    VfioPciDevice d = rich();
    assertEquals(12, d.read(off(8) + 0x3b0, 16).length);
    assertEquals(32, d.read(off(8) + 0x3c0, 64).length);
    assertEquals(16, d.read(off(8) + 0xbfff0, 64).length);
    assertErrno(Errno.EINVAL, () -> d.read(off(8) + 0x3bc, 1));
    assertErrno(Errno.EINVAL, () -> d.read(off(8) + 0xc0000, 1));
    assertErrno(Errno.EINVAL, () -> d.read(off(8), 1));
  }

  @Test
  void reset_withoutResetSupport_einval() {
    VfioPciDevice d = VfioPciDevice.builder(1, 2).noReset().build();
    assertErrno(Errno.EINVAL, d::reset);
    assertEquals(0, d.deviceInfo().flags() & 1);
  }

  @Test
  void mmap_table() {
    VfioPciDevice d = rich();
    d.checkMmap(off(0), 0x4000, true, 4096);
    d.checkMmap(off(4), 4096, true, 4096); // a sub-page BAR maps its whole page
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(0), 0x4000, false, 4096)); // private
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(0) + 0x800, 0x800, true, 4096));
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(0), 0x5000, true, 4096));
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(1), 4096, true, 4096)); // I/O BAR
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(6), 4096, true, 4096)); // ROM
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(7), 4096, true, 4096)); // config
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(10), 4096, true, 4096));
    d.checkMmap(off(9), 0x2000, true, 4096);
    assertEquals(List.of(new MmapArea(0x1000, 0x1000)), d.mmapAreas(9));
    assertEquals(List.of(new MmapArea(0, 0x10000)), d.mmapAreas(2));
    assertEquals(List.of(), d.mmapAreas(1));
  }

  @Test
  void hiddenBarTail_reportedHalfAndRefusedBeyond() {
    VfioPciDevice d = hisiLike();
    assertEquals(new RegionInfo(2, RWM, 0x8000, off(2), List.of()), d.regionInfo(2));
    assertErrno(Errno.EINVAL, () -> d.read(off(2) + 0x8000, 4));
    assertErrno(Errno.EINVAL, () -> d.read(off(2) + 0x8000, 0)); // the variant checks first
    assertEquals(8, d.read(off(2) + 0x7ff8, 16).length);
    d.checkMmap(off(2), 0x8000, true, 4096);
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(2), 0x9000, true, 4096));
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(2) + 0x8000, 0x1000, true, 4096));
    assertErrno(Errno.EINVAL, () -> d.checkMmap(off(2), 0x10000, true, 0x10000)); // 64K pages
    assertEquals(List.of(new MmapArea(0, 0x8000)), d.mmapAreas(2));
  }

  private static VfioPciDevice hisiLike() {
    return VfioPciDevice.builder(0x19e5, 0xa256)
        .memBar(2, 0x10000)
        .userVisibleBarLength(2, 0x8000)
        .msix(2, 0xc000, 16)
        .build();
  }

  /**
   * Property: random reads and writes of BAR2 of a hisi-like device agree with a byte-array model
   * of the rules (visible length 0x8000, EINVAL at or beyond it, short across it, MSI-X table in
   * the hidden part so it never shows); and the same runs catch a model that forgets the boundary.
   */
  @Test
  void regionIo_agreesWithAByteArrayModel() {
    assertEquals(-1, firstDisagreement(false), "correct model");
    assertTrue(firstDisagreement(true) >= 0, "the broken twin must be caught");
  }

  private static int firstDisagreement(boolean broken) {
    SplittableRandom r = new SplittableRandom(SEED);
    VfioPciDevice d = hisiLike();
    int visible = broken ? 0x10000 : 0x8000;
    byte[] model = new byte[0x10000];
    for (int op = 0; op < 2000; op++) {
      int pos = r.nextInt(4) == 0 ? 0x8000 - r.nextInt(64) : r.nextInt(0x10000);
      int count = r.nextInt(4) == 0 ? r.nextInt(0x9000) : r.nextInt(64);
      boolean write = r.nextBoolean();
      byte[] data = new byte[count];
      r.nextBytes(data);
      Object expected;
      if (pos >= visible) {
        expected = Errno.EINVAL;
      } else {
        int n = Math.min(count, visible - pos);
        if (write) {
          System.arraycopy(data, 0, model, pos, n);
          expected = n;
        } else {
          expected = Arrays.toString(Arrays.copyOfRange(model, pos, pos + n));
        }
      }
      Object actual;
      try {
        actual =
            write
                ? (Object) (int) d.write(off(2) + pos, data)
                : Arrays.toString(d.read(off(2) + pos, count));
      } catch (UapiException e) {
        actual = e.errno();
      }
      if (!expected.equals(actual)) {
        return op;
      }
    }
    return -1;
  }
}
