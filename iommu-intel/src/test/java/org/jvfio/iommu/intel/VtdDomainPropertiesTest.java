package org.jvfio.iommu.intel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.jvfio.core.spi.IommuDomain.IOMMU_READ;
import static org.jvfio.core.spi.IommuDomain.IOMMU_WRITE;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;

/**
 * Seeded properties a contract suite would check, run here against the second-stage domain:
 * map/unmap against a reference, dirty harvest against a reference (whole-leaf replication,
 * NO_CLEAR), split/collapse preserving translations and dirty. Reproduce a failure with {@code
 * -Djvfio.seed=<seed printed>}; {@code -Djvfio.tries} sets the iterations.
 */
class VtdDomainPropertiesTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final long K4 = 1L << 12;
  private static final long M2 = 1L << 21;
  private static final long G1 = 1L << 30;
  private static final long UNIVERSE = 8 * G1;

  /** A leaf as the reference expects it. */
  private record Leaf(long iova, long size, long pa, int prot) {
    long last() {
      return iova + size - 1;
    }
  }

  /** The reference: expected leaves by IOVA, computed greedily as iommu_map splits a request. */
  private static final class Reference {
    final TreeMap<Long, Leaf> leaves = new TreeMap<>();
    final long pageSizes;

    Reference(long pageSizes) {
      this.pageSizes = pageSizes;
    }

    boolean overlaps(long iova, long size) {
      Map.Entry<Long, Leaf> e = leaves.floorEntry(iova + size - 1);
      return e != null && e.getValue().last() >= iova;
    }

    Leaf leafAt(long iova) {
      Map.Entry<Long, Leaf> e = leaves.floorEntry(iova);
      return e != null && e.getValue().last() >= iova ? e.getValue() : null;
    }

    void map(long iova, long pa, long size, int prot) {
      while (size > 0) {
        long s = K4;
        for (long c : new long[] {G1, M2}) {
          if ((pageSizes & c) != 0 && ((iova | pa) & (c - 1)) == 0 && size >= c) {
            s = c;
            break;
          }
        }
        leaves.put(iova, new Leaf(iova, s, pa, prot));
        iova += s;
        pa += s;
        size -= s;
      }
    }

    /**
     * iommupt's __unmap_range: nothing if {@code iova} is inside a leaf; otherwise the leaves from
     * {@code iova} on, each whole, up to the first hole (a leaf not starting where the last ended).
     */
    long unmap(long iova, long size) {
      Leaf at = leafAt(iova);
      if (at != null && at.iova() != iova) {
        return 0;
      }
      long total = 0;
      long next = iova;
      for (Leaf l : new ArrayList<>(leaves.subMap(iova, true, iova + size - 1, true).values())) {
        if (l.iova() != next) {
          break;
        }
        leaves.remove(l.iova());
        total += l.size();
        next = l.iova() + l.size();
      }
      return total;
    }
  }

  private static String ctx(long seed, int trial, Object op) {
    return "seed=0x" + Long.toHexString(seed) + " trial=" + trial + " op=" + op;
  }

  /** Maps a random non-overlapping region; returns false if the draw overlapped (and checks it). */
  private static boolean randomMap(
      SplittableRandom r, IntelDomain d, Reference ref, String where, boolean allowReadOnly) {
    long g;
    long n;
    long offset;
    int kind = r.nextInt(10);
    if (kind < 5) {
      g = K4;
      n = 1 + r.nextInt(600);
      offset = 0;
    } else if (kind < 9) {
      g = M2;
      n = 1 + r.nextInt(4);
      offset = r.nextInt(4) == 0 ? K4 * r.nextInt(1, 512) : 0;
    } else if ((ref.pageSizes & G1) != 0) {
      g = G1;
      n = 1;
      offset = r.nextInt(4) == 0 ? M2 * r.nextInt(1, 512) : 0;
    } else {
      g = M2; // without 1 GiB leaves a 1 GiB region would be 2^18 PTEs: keep the test fast
      n = 1;
      offset = 0;
    }
    long size = n * g;
    long iova = g * r.nextLong((UNIVERSE - size - offset) / g) + offset;
    long pa = g * r.nextLong((1L << 40) / g) + (r.nextBoolean() ? offset : 0);
    int prot =
        allowReadOnly && r.nextInt(5) == 0 ? IOMMU_READ : r.nextInt(8) == 0 ? IOMMU_WRITE : 3;
    if (ref.overlaps(iova, size)) {
      assertThrows(
          IllegalArgumentException.class, () -> d.map(iova, pa, size, prot), where + " overlap");
      return false;
    }
    d.map(iova, pa, size, prot);
    ref.map(iova, pa, size, prot);
    return true;
  }

  private static void checkLeaf(IntelDomain d, Leaf l, long off, String where) {
    Translation t = d.translate(l.iova() + off).orElse(null);
    if (t == null) {
      fail(where + ": " + l + " not translated at +" + Long.toHexString(off));
    }
    assertEquals(l.iova(), t.iova(), () -> where + " leaf start of " + l);
    assertEquals(l.size(), t.size(), () -> where + " leaf size of " + l);
    assertEquals(l.pa() + off, t.physicalOf(l.iova() + off), () -> where + " output of " + l);
    assertEquals((l.prot() & IOMMU_WRITE) != 0, t.writable(), () -> where + " W of " + l);
    assertEquals((l.prot() & IOMMU_READ) != 0, t.readable(), () -> where + " R of " + l);
  }

  private static void checkAgainst(
      SplittableRandom r, IntelDomain d, Reference ref, int sample, String where) {
    List<Leaf> all = new ArrayList<>(ref.leaves.values());
    int n = Math.min(all.size(), sample);
    for (int i = 0; i < n; i++) {
      Leaf l = all.size() <= sample ? all.get(i) : all.get(r.nextInt(all.size()));
      checkLeaf(d, l, K4 * r.nextLong(l.size() / K4) + r.nextInt(4096), where);
    }
    for (int i = 0; i < 16; i++) {
      long probe = r.nextLong(UNIVERSE);
      if (ref.leafAt(probe) == null) {
        assertTrue(d.translate(probe).isEmpty(), () -> where + " unmapped " + probe);
        assertTrue(d.iovaToPhys(probe).isEmpty(), where);
      }
    }
  }

  @Test
  void mapUnmap_matchesReference() {
    SplittableRandom seeds = new SplittableRandom(SEED);
    for (int trial = 0; trial < TRIES; trial++) {
      long seed = seeds.nextLong();
      SplittableRandom r = new SplittableRandom(seed);
      IntelSsDriver drv =
          r.nextInt(4) == 0 ? IntelSsDriver.withoutLargePages() : new IntelSsDriver();
      IntelDomain d = drv.allocateDomain(DomainConfig.PLAIN);
      Reference ref = new Reference(drv.pageSizeBitmap());
      for (int op = 0; op < 24; op++) {
        String where = ctx(seed, trial, op);
        if (ref.leaves.isEmpty() || r.nextInt(3) > 0) {
          randomMap(r, d, ref, where, true);
        } else {
          List<Long> starts = new ArrayList<>(ref.leaves.keySet());
          Leaf l = ref.leaves.get(starts.get(r.nextInt(starts.size())));
          long iova = r.nextInt(4) == 0 ? l.iova() + K4 * r.nextLong(l.size() / K4) : l.iova();
          long size = K4 * (1 + r.nextLong(2 * l.size() / K4));
          long expected = ref.unmap(iova, Math.min(size, UNIVERSE - iova));
          assertEquals(expected, d.unmap(iova, Math.min(size, UNIVERSE - iova)), where + " unmap");
        }
        checkAgainst(r, d, ref, 128, where);
      }
      checkAgainst(r, d, ref, Integer.MAX_VALUE, ctx(seed, trial, "end"));
    }
  }

  /**
   * Expected harvest of [iova, iova + length): every dirty leaf overlapping it, clipped; the leaf
   * holding {@code iova} is recorded from {@code iova} for its whole size (iommupt).
   */
  private static IovaBitmap expected(Set<Leaf> dirty, long iova, long length) {
    IovaBitmap b = IovaBitmap.allocate(iova, length, K4);
    for (Leaf l : dirty) {
      long from = Math.max(l.iova(), iova);
      long to = Math.min(from + l.size() - 1, iova + length - 1);
      if (l.last() >= iova && from <= to) {
        b.set(from, to - from + 1);
      }
    }
    return b;
  }

  @Test
  void harvest_matchesReferenceOfWrittenLeaves() {
    SplittableRandom seeds = new SplittableRandom(SEED + 1);
    for (int trial = 0; trial < TRIES; trial++) {
      long seed = seeds.nextLong();
      SplittableRandom r = new SplittableRandom(seed);
      IntelSsDriver drv = IntelSsDriver.withLevels(3 + r.nextInt(3));
      IntelDomain d = drv.allocateDomain(DomainConfig.DIRTY_TRACKING);
      Reference ref = new Reference(drv.pageSizeBitmap());
      for (int i = 0; i < 6; i++) {
        randomMap(r, d, ref, ctx(seed, trial, "map"), true);
      }
      TestDma.enableTracking(d, 0, UNIVERSE);
      TestDma dma = new TestDma(d);
      List<Leaf> leaves = new ArrayList<>(ref.leaves.values());
      Set<Leaf> dirty = new HashSet<>();
      for (int round = 0; round < 8; round++) {
        String where = ctx(seed, trial, "round " + round);
        for (int w = r.nextInt(12); w > 0; w--) {
          Leaf l = leaves.get(r.nextInt(leaves.size()));
          long iova = l.iova() + r.nextLong(l.size());
          boolean writable = (l.prot() & IOMMU_WRITE) != 0;
          assertEquals(writable, dma.write(iova), () -> where + " write to " + l);
          if (writable) {
            dirty.add(l);
          }
        }
        long from = K4 * r.nextLong(UNIVERSE / K4);
        long length = K4 * (1 + r.nextLong((UNIVERSE - from) / K4));
        int flags = r.nextInt(3) == 0 ? Iommufd.IOMMU_DIRTY_NO_CLEAR : 0;
        IovaBitmap got = TestDma.harvest(d, from, length, flags);
        assertArrayEquals(
            expected(dirty, from, length).words(),
            got.words(),
            where + " harvest [" + Long.toHexString(from) + ", +" + Long.toHexString(length) + ")");
        if (flags == 0) {
          dirty.removeIf(l -> l.iova() <= from + length - 1 && l.last() >= from);
        }
      }
      assertArrayEquals(
          expected(dirty, 0, UNIVERSE).words(),
          TestDma.harvest(d, 0, UNIVERSE, 0).words(),
          ctx(seed, trial, "final"));
    }
  }

  @Test
  void splitCollapse_preserveTranslationsAndNeverLoseDirty() {
    SplittableRandom seeds = new SplittableRandom(SEED + 2);
    int rewalks = 0;
    for (int trial = 0; trial < TRIES; trial++) {
      long seed = seeds.nextLong();
      SplittableRandom r = new SplittableRandom(seed);
      IntelSsDriver drv = new IntelSsDriver();
      IntelDomain d = drv.allocateDomain(DomainConfig.DIRTY_TRACKING);
      Reference ref = new Reference(drv.pageSizeBitmap());
      for (int i = 0; i < 5; i++) {
        randomMap(r, d, ref, ctx(seed, trial, "map"), false);
      }
      TestDma.enableTracking(d, 0, UNIVERSE);
      TestDma dma = new TestDma(d);
      List<Leaf> leaves = new ArrayList<>(ref.leaves.values());
      TreeSet<Long> written = new TreeSet<>(); // pages written since the last clear covering them
      for (int op = 0; op < 30; op++) {
        String where = ctx(seed, trial, op);
        Leaf anchor = leaves.get(r.nextInt(leaves.size()));
        long from = anchor.iova() & -(r.nextBoolean() ? M2 : G1);
        long length = Math.min(UNIVERSE - from, (r.nextBoolean() ? M2 : G1) * (1 + r.nextInt(2)));
        switch (r.nextInt(5)) {
          case 0:
          case 1:
            for (int w = 1 + r.nextInt(6); w > 0; w--) {
              Leaf l = leaves.get(r.nextInt(leaves.size()));
              long page = (l.iova() + r.nextLong(l.size())) & -K4;
              assertTrue(dma.write(page), where + " write");
              written.add(page);
            }
            break;
          case 2:
            {
              IovaBitmap before = TestDma.harvest(d, 0, UNIVERSE, Iommufd.IOMMU_DIRTY_NO_CLEAR);
              long pageSize = r.nextBoolean() ? K4 : M2;
              InFlight w = InFlight.start(r, d, leaves, from, length);
              d.split(from, length, pageSize);
              rewalks += w.land(d, written, where);
              for (int i = 0; i < 64; i++) {
                Translation t = d.translate(from + r.nextLong(length)).orElse(null);
                assertTrue(t == null || t.size() <= pageSize, where + " split leaves too large");
              }
              assertSuperset(
                  before, TestDma.harvest(d, 0, UNIVERSE, Iommufd.IOMMU_DIRTY_NO_CLEAR), where);
              break;
            }
          case 3:
            {
              IovaBitmap before = TestDma.harvest(d, 0, UNIVERSE, Iommufd.IOMMU_DIRTY_NO_CLEAR);
              InFlight w = InFlight.start(r, d, leaves, from, length);
              d.collapse(from, length);
              rewalks += w.land(d, written, where);
              assertSuperset(
                  before, TestDma.harvest(d, 0, UNIVERSE, Iommufd.IOMMU_DIRTY_NO_CLEAR), where);
              break;
            }
          default:
            {
              // The harvest cleans every leaf overlapping the range, also the part outside it
              // (upstream record_dirty): those writes are no longer owed by later harvests.
              long last = from + length - 1;
              List<Long> cleaned = new ArrayList<>();
              for (long p : written) {
                long leafSize = 1L << (12 + 9 * (drv.levels() - d.walk(p).length));
                long leafIova = p & -leafSize;
                if (leafIova <= last && leafIova + leafSize - 1 >= from) {
                  cleaned.add(p);
                }
              }
              IovaBitmap got = TestDma.harvest(d, from, length, 0);
              for (long p : written.subSet(from, from + length)) {
                assertTrue(got.isDirty(p), where + " lost write to " + Long.toHexString(p));
              }
              got.forEachDirty(
                  p -> assertTrue(ref.leafAt(p) != null, where + " unmapped page reported"));
              written.removeAll(cleaned);
            }
        }
        checkAgainstPages(r, d, ref, where);
      }
      IovaBitmap last = TestDma.harvest(d, 0, UNIVERSE, 0);
      for (long p : written) {
        assertTrue(last.isDirty(p), ctx(seed, trial, "final") + " lost " + Long.toHexString(p));
      }
    }
    assertTrue(rewalks > 0, "no stale translation met a split or collapse: the race is untested");
  }

  /**
   * A DMA write in flight across a split or collapse: its translation is walked before the
   * operation and its hardware D update lands after it, through the stale translation (split and
   * collapse step 5); if the slot no longer holds the leaf, the update fails and the write walks
   * again.
   */
  private record InFlight(long page, Translation t) {
    static InFlight start(
        SplittableRandom r, IntelDomain d, List<Leaf> leaves, long from, long length) {
      for (int i = 0; i < 8; i++) {
        Leaf l = leaves.get(r.nextInt(leaves.size()));
        if (l.last() >= from && l.iova() < from + length) {
          long lo = Math.max(l.iova(), from);
          long hi = Math.min(l.last(), from + length - 1);
          long page = (lo + r.nextLong(hi - lo + 1)) & -K4;
          return new InFlight(page, d.translate(page).orElseThrow());
        }
      }
      return new InFlight(-1, null);
    }

    /** Lands the write; returns 1 if it had to walk again. */
    int land(IntelDomain d, Set<Long> written, String where) {
      if (t == null) {
        return 0;
      }
      written.add(page);
      if (d.setDirtyByHardware(t)) {
        return 0;
      }
      assertTrue(d.setDirtyByHardware(d.translate(page).orElseThrow()), where + " re-walk");
      return 1;
    }
  }

  private static void assertSuperset(IovaBitmap before, IovaBitmap after, String where) {
    long[] b = before.words();
    long[] a = after.words();
    for (int i = 0; i < b.length; i++) {
      if ((b[i] & ~a[i]) != 0) {
        fail(where + ": dirty page lost at word " + i);
      }
    }
  }

  /** Translations must survive split/collapse: compare pages against the reference's leaves. */
  private static void checkAgainstPages(
      SplittableRandom r, IntelDomain d, Reference ref, String where) {
    List<Leaf> all = new ArrayList<>(ref.leaves.values());
    for (int i = 0; i < 32; i++) {
      Leaf l = all.get(r.nextInt(all.size()));
      long off = r.nextLong(l.size());
      assertEquals(l.pa() + off, d.iovaToPhys(l.iova() + off).orElse(-1), () -> where + l);
      Translation t = d.translate(l.iova() + off).orElseThrow();
      assertEquals(l.pa() + off, t.physicalOf(l.iova() + off), () -> where + " translate " + l);
    }
  }
}
