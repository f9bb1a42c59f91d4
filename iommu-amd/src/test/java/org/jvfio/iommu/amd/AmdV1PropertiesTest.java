package org.jvfio.iommu.amd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.jvfio.iommu.amd.AmdV1DomainTest.K4;
import static org.jvfio.iommu.amd.AmdV1DomainTest.dump;
import static org.jvfio.iommu.amd.AmdV1DomainTest.harvest;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;

/**
 * Seeded properties a domain contract would check, run against amd-v1 (reproduce a failure with
 * {@code -Djvfio.seed=<seed printed> -Djvfio.tries=<n>}).
 *
 * <p>Each case works in a window of {@value #WINDOW_PAGES} pages placed at a random base (low, or
 * above 2^39, 2^48 or 2^57 to make the table grow) and holds a reference model: the mappings as
 * {@code iova -> (physical, length, prot)}.
 */
class AmdV1PropertiesTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final int WINDOW_PAGES = 4096; // 16 MiB
  private static final long[] BASES = {0, 1L << 30, (1L << 39) - (8L << 20), 1L << 48, 1L << 57};

  /** One mapping of the reference model. */
  record Mapping(long iova, long physical, long length, int prot) {
    long last() {
      return iova + length - 1;
    }

    boolean covers(long va) {
      return Long.compareUnsigned(va - iova, length) < 0;
    }
  }

  /** A window with its reference mappings. */
  static final class Model {
    final long base;
    final IommuDomain domain;
    final TreeMap<Long, Mapping> maps = new TreeMap<>();
    final SplittableRandom rnd;
    final StringBuilder log = new StringBuilder();

    Model(SplittableRandom rnd) {
      this.rnd = rnd;
      this.base = BASES[rnd.nextInt(BASES.length)];
      this.domain = IommuDriver.named("amd-v1").allocateDomain(DomainConfig.DIRTY_TRACKING);
    }

    Mapping at(long va) {
      Map.Entry<Long, Mapping> e = maps.floorEntry(va);
      return e != null && e.getValue().covers(va) ? e.getValue() : null;
    }

    boolean free(long iova, long length) {
      Map.Entry<Long, Mapping> e = maps.floorEntry(iova + length - 1);
      return e == null || e.getValue().last() < iova;
    }

    /** A DMA landing in guest memory covering the output of every mapping made so far. */
    TestDma dma() {
      List<GuestMemory> memories = new ArrayList<>();
      for (Mapping mp : maps.values()) {
        memories.add(GuestMemory.create(mp.physical(), mp.length(), 1));
      }
      return new TestDma(domain, memories);
    }

    /** Maps a random free range: sizes and output alignments chosen to give every leaf kind. */
    Mapping mapRandom() {
      for (int attempt = 0; attempt < 20; attempt++) {
        int sizeLog2 = 12 + rnd.nextInt(12); // 4 KiB .. 8 MiB
        long length = (1L << sizeLog2) + (rnd.nextBoolean() ? 0 : K4 * rnd.nextInt(1, 64));
        long alignPages = 1L << rnd.nextInt(0, sizeLog2 - 11);
        long page = rnd.nextLong(WINDOW_PAGES) & -alignPages;
        long iova = base + page * K4;
        if (page * K4 + length > WINDOW_PAGES * K4 || !free(iova, length)) {
          continue;
        }
        long physical =
            rnd.nextInt(4) == 0
                ? rnd.nextLong(1L << 28) * K4 // only 4 KiB-aligned
                : (rnd.nextLong(1L << 20) << 24) + (iova & ((1L << 24) - 1)); // congruent
        int prot = rnd.nextInt(5) == 0 ? IommuDomain.IOMMU_READ : AmdV1DomainTest.RW;
        Mapping m = new Mapping(iova, physical, length, prot);
        domain.map(iova, physical, length, prot);
        maps.put(iova, m);
        log.append("\n map ").append(m);
        return m;
      }
      return null;
    }

    void unmapRandom() {
      if (maps.isEmpty()) {
        return;
      }
      List<Long> keys = new ArrayList<>(maps.keySet());
      Mapping m = maps.remove(keys.get(rnd.nextInt(keys.size())));
      log.append("\n unmap ").append(m);
      assertEquals(m.length(), domain.unmap(m.iova(), m.length()), this::where);
      IotlbGather g = new IotlbGather();
      g.addRange(m.iova(), m.length());
      domain.iotlbSync(g);
    }

    long randomVa() {
      if (!maps.isEmpty() && rnd.nextInt(4) != 0) {
        List<Mapping> ms = new ArrayList<>(maps.values());
        Mapping m = ms.get(rnd.nextInt(ms.size()));
        return m.iova() + rnd.nextLong(m.length());
      }
      return base + rnd.nextLong(WINDOW_PAGES * K4);
    }

    /** The leaf sizes the reference decomposition gives a mapping, as iommu_map would cut it. */
    static long expectedLeafSize(Mapping m, long va) {
      long iova = m.iova();
      long pa = m.physical();
      long left = m.length();
      while (true) {
        long size = 1L << 51;
        while ((AmdV1Driver.PAGE_SIZES & size) == 0
            || size > left
            || iova % size != 0
            || pa % size != 0) {
          size >>>= 1;
        }
        if (Long.compareUnsigned(va - iova, size) < 0) {
          return size;
        }
        iova += size;
        pa += size;
        left -= size;
      }
    }

    void checkTranslations(int probes) {
      for (int i = 0; i < probes; i++) {
        long va = randomVa();
        Mapping m = at(va);
        OptionalLong pa = domain.iovaToPhys(va);
        Optional<Translation> t = domain.translate(va);
        if (m == null) {
          assertTrue(pa.isEmpty() && t.isEmpty(), () -> "unmapped " + hex(va) + where());
          continue;
        }
        long want = m.physical() + (va - m.iova());
        assertEquals(want, pa.orElse(-1), () -> "iovaToPhys " + hex(va) + where());
        Translation tr = t.orElseThrow(() -> new AssertionError("fault at " + hex(va) + where()));
        assertEquals(want, tr.physicalOf(va), () -> "translate " + hex(va) + where());
        assertTrue(tr.readable(), this::where);
        assertEquals((m.prot() & IommuDomain.IOMMU_WRITE) != 0, tr.writable(), this::where);
        assertTrue(
            Long.compareUnsigned(tr.iova(), m.iova()) >= 0 && tr.iova() + tr.size() - 1 <= m.last(),
            () -> "leaf crosses the mapping at " + hex(va) + where());
      }
    }

    String where() {
      return "\nseed=" + hex(SEED) + " base=" + hex(base) + log;
    }
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }

  private static void forEachCase(String name, CaseBody body) {
    SplittableRandom seeds = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      long caseSeed = seeds.nextLong();
      Model m = new Model(new SplittableRandom(caseSeed));
      m.log
          .append("\n")
          .append(name)
          .append(" case ")
          .append(i)
          .append(" seed ")
          .append(hex(caseSeed));
      try {
        body.run(m);
      } catch (AssertionError e) {
        throw e; // messages carry m.where()
      } catch (RuntimeException e) {
        throw new AssertionError("property failed: " + e + m.where(), e);
      }
    }
  }

  @FunctionalInterface
  interface CaseBody {
    void run(Model m);
  }

  @Test
  void mapUnmap_matchesReference_leavesAsLargeAsAlignmentAllows() {
    forEachCase(
        "mapUnmap",
        m -> {
          for (int op = 0; op < 12; op++) {
            if (m.rnd.nextInt(3) == 0) {
              m.unmapRandom();
            } else {
              m.mapRandom();
            }
            m.checkTranslations(16);
          }
          for (Mapping mp : m.maps.values()) {
            long va = mp.iova() + m.rnd.nextLong(mp.length());
            assertEquals(
                Model.expectedLeafSize(mp, va),
                m.domain.translate(va).orElseThrow().size(),
                () -> "leaf size at " + hex(va) + dump(m.domain, va) + m.where());
            assertThrows(
                IllegalArgumentException.class,
                () -> m.domain.map(mp.iova(), 0, K4, AmdV1DomainTest.RW),
                m::where);
          }
          while (!m.maps.isEmpty()) {
            m.unmapRandom();
          }
          m.checkTranslations(16);
          // tables stay until an unmap covers them whole (iommupt); remapping reuses them
          Mapping again = m.mapRandom();
          if (again != null) {
            m.domain.unmap(again.iova(), again.length());
            m.maps.clear();
            m.domain.iotlbSync(AmdV1DomainTest.gatherOf(again.iova(), again.length()));
            m.domain.map(again.iova(), again.physical(), again.length(), again.prot());
            long peak = m.domain.memory().framesInUse();
            m.domain.unmap(again.iova(), again.length());
            m.domain.iotlbSync(AmdV1DomainTest.gatherOf(again.iova(), again.length()));
            m.domain.map(again.iova(), again.physical(), again.length(), again.prot());
            assertEquals(peak, m.domain.memory().framesInUse(), m::where);
          }
        });
  }

  /** Leaves (iova, size) holding a page written since the last clearing harvest covering it. */
  private static void recordWrite(Model m, TreeMap<Long, Long> pending, long va) {
    Translation t = m.domain.translate(va).orElseThrow();
    pending.put(t.iova(), t.size());
  }

  @Test
  void dirtyHarvest_matchesReference_wholeLeaves_noClearIdempotent_replicasCleared() {
    forEachCase(
        "harvest",
        m -> {
          for (int i = 0; i < 6; i++) {
            m.mapRandom();
          }
          m.domain.setDirtyTracking(true);
          TestDma dma = m.dma();
          TreeMap<Long, Long> pending = new TreeMap<>();
          for (int round = 0; round < 6; round++) {
            for (int w = m.rnd.nextInt(20); w > 0; w--) {
              long va = m.randomVa();
              Mapping mp = m.at(va);
              boolean ok = dma.write(va);
              boolean expectOk = mp != null && (mp.prot() & IommuDomain.IOMMU_WRITE) != 0;
              assertEquals(expectOk, ok, () -> "write at " + hex(va) + m.where());
              if (ok) {
                recordWrite(m, pending, va);
              }
            }
            // a harvest range made of whole mappings: leaf-aligned at both ends
            List<Mapping> ms = new ArrayList<>(m.maps.values());
            if (ms.isEmpty()) {
              return;
            }
            int a = m.rnd.nextInt(ms.size());
            int b = a + m.rnd.nextInt(ms.size() - a);
            long from = ms.get(a).iova();
            long to = ms.get(b).last();
            boolean noClear = m.rnd.nextInt(3) == 0;
            m.log.append("\n harvest ").append(hex(from)).append("..").append(hex(to));
            m.log.append(noClear ? " NO_CLEAR" : "");
            IovaBitmap got =
                harvest(m.domain, from, to - from + 1, noClear ? Iommufd.IOMMU_DIRTY_NO_CLEAR : 0);

            BitSet want = new BitSet();
            for (Map.Entry<Long, Long> e : pending.subMap(from, true, to, true).entrySet()) {
              want.set(
                  (int) ((e.getKey() - from) / K4),
                  (int) ((e.getKey() + e.getValue() - from) / K4));
            }
            assertEquals(want, BitSet.valueOf(got.words()), m::where);
            if (noClear) {
              IovaBitmap again =
                  harvest(m.domain, from, to - from + 1, Iommufd.IOMMU_DIRTY_NO_CLEAR);
              assertEquals(want, BitSet.valueOf(again.words()), () -> "NO_CLEAR twice" + m.where());
            } else {
              for (Map.Entry<Long, Long> e : pending.subMap(from, true, to, true).entrySet()) {
                assertReplicasClean(m, e.getKey(), e.getValue());
              }
              pending.subMap(from, true, to, true).clear();
            }
          }
        });
  }

  private static void assertReplicasClean(Model m, long leafIova, long size) {
    long item = size >= 1L << 30 ? 1L << 30 : size >= 1L << 21 ? 1L << 21 : K4;
    for (long off = 0; off < size; off += item) {
      long[] w = m.domain.walk(leafIova + off);
      long va = leafIova + off;
      assertEquals(0L, w[w.length - 1] & AmdV1Entry.D, () -> "D left at " + hex(va) + m.where());
    }
  }

  @Test
  void splitCollapse_preserveTranslations_neverLoseDirty() {
    forEachCase(
        "splitCollapse",
        m -> {
          for (int i = 0; i < 5; i++) {
            m.mapRandom();
          }
          m.domain.setDirtyTracking(true);
          TestDma dma = m.dma();
          BitSet written = new BitSet(); // pages written since the last clearing harvest
          for (int op = 0; op < 20; op++) {
            long va = m.randomVa();
            long len = K4 << m.rnd.nextInt(12);
            switch (m.rnd.nextInt(5)) {
              case 0:
              case 1:
                if (dma.write(va)) {
                  written.set((int) ((va - m.base) / K4));
                }
                break;
              case 2:
                {
                  long ps = K4 << m.rnd.nextInt(10);
                  m.log.append("\n split ").append(hex(va)).append(" +").append(hex(len));
                  m.log.append(" to ").append(hex(ps));
                  m.domain.split(va, len, ps);
                  break;
                }
              case 3:
                m.log.append("\n collapse ").append(hex(va)).append(" +").append(hex(len));
                m.domain.collapse(va, len);
                break;
              default:
                {
                  boolean noClear = m.rnd.nextBoolean();
                  m.log.append(noClear ? "\n harvest NO_CLEAR" : "\n harvest");
                  IovaBitmap got =
                      harvest(
                          m.domain,
                          m.base,
                          WINDOW_PAGES * K4,
                          noClear ? Iommufd.IOMMU_DIRTY_NO_CLEAR : 0);
                  BitSet reported = BitSet.valueOf(got.words());
                  BitSet lost = (BitSet) written.clone();
                  lost.andNot(reported);
                  assertTrue(lost.isEmpty(), () -> "lost dirty pages " + lost + m.where());
                  for (int p = reported.nextSetBit(0); p >= 0; p = reported.nextSetBit(p + 1)) {
                    if (m.at(m.base + p * K4) == null) {
                      fail("reported unmapped page " + hex(m.base + p * K4) + m.where());
                    }
                  }
                  if (!noClear) {
                    written.clear();
                    assertEquals(
                        0,
                        harvest(m.domain, m.base, WINDOW_PAGES * K4, Iommufd.IOMMU_DIRTY_NO_CLEAR)
                            .cardinality(),
                        m::where);
                  }
                }
            }
            m.checkTranslations(8);
          }
        });
  }

  @Test
  void splitThenCollapse_noWrites_dirtyStateKept() {
    forEachCase(
        "splitThenCollapse",
        m -> {
          for (int i = 0; i < 4; i++) {
            m.mapRandom();
          }
          m.domain.setDirtyTracking(true);
          TestDma dma = m.dma();
          for (int w = 0; w < 5; w++) {
            long va = m.randomVa();
            dma.write(va);
          }
          long window = WINDOW_PAGES * K4;
          BitSet before =
              BitSet.valueOf(
                  harvest(m.domain, m.base, window, Iommufd.IOMMU_DIRTY_NO_CLEAR).words());
          m.domain.split(m.base, window, K4 << m.rnd.nextInt(10));
          BitSet split =
              BitSet.valueOf(
                  harvest(m.domain, m.base, window, Iommufd.IOMMU_DIRTY_NO_CLEAR).words());
          assertEquals(before, split, () -> "split changed the dirty pages" + m.where());
          m.domain.collapse(m.base, window);
          BitSet collapsed =
              BitSet.valueOf(
                  harvest(m.domain, m.base, window, Iommufd.IOMMU_DIRTY_NO_CLEAR).words());
          BitSet lost = (BitSet) before.clone();
          lost.andNot(collapsed);
          assertTrue(lost.isEmpty(), () -> "collapse lost " + lost + m.where());
          m.checkTranslations(32);
          assertFalse(
              collapsed.isEmpty() && !before.isEmpty(), () -> "collapse cleared" + m.where());
        });
  }
}
