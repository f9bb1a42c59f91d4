package org.jvfio.testkit.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_GET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_ALL;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1v2_IOMMU;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuVfioIoas;
import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.api.vfio.VfioIommuType1DmaUnmap;
import org.jvfio.core.UapiException;
import org.jvfio.core.container.IommufdVfioCompat;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Property;
import org.opentest4j.AssertionFailedError;

/**
 * iommufd's VFIO type1 compatibility ({@code drivers/iommu/iommufd/vfio_compat.c}) acts on the IOAS
 * that {@code IOMMU_VFIO_IOAS} chose, against a reference model of the IOASes' areas: over random
 * sequences of IOAS alloc and destroy, {@code IOMMU_VFIO_IOAS} GET/SET/CLEAR, {@code
 * VFIO_SET_IOMMU}, {@code VFIO_IOMMU_MAP_DMA}/{@code UNMAP_DMA} (a range, or ALL) and {@code
 * IOMMU_IOAS_MAP}/{@code UNMAP} on a given IOAS, every call's errno, result and copied-back unmap
 * size are the model's, and at the end every IOAS holds the model's bytes. The model: ids are the
 * lowest free from 1; destroying the compatibility IOAS forgets it ({@code iommufd_object_remove});
 * TYPE1 turns the IOAS's huge pages off, after which an unmap first cuts the areas after {@code
 * iova + size - 1} and {@code iova - 1} ({@code iopt_cut_iova}); an unmap fails with {@code ENOENT}
 * if an area is only partly inside or nothing is; {@code size} is copied back once the unmap ran, 0
 * when it failed. Two broken twins must fail: one that keeps the IOAS by id (an IOAS allocated
 * later under the destroyed one's id becomes the compatibility IOAS), one whose TYPE1 does not cut.
 */
class VfioCompatIoasPropertyTest {
  private static final long PAGE = 4096;
  private static final long BASE = 0x4000_0000L;
  private static final int PAGES = 16;

  enum Kind {
    ALLOC,
    DESTROY,
    GET,
    SET,
    CLEAR,
    SET_TYPE1,
    SET_TYPE1V2,
    MAP_DMA,
    UNMAP_DMA,
    UNMAP_ALL,
    IOAS_MAP,
    IOAS_UNMAP
  }

  /** One call: {@code kind} on IOAS {@code id} (where it takes one) at a page range. */
  record Step(Kind kind, int id, int page, int pages) {}

  /** A call's outcome: its errno (null on success) and its value (-1 for no copied-back size). */
  record Outcome(Errno errno, long value) {
    static Outcome ok(long value) {
      return new Outcome(null, value);
    }

    static Outcome fail(Errno errno) {
      return new Outcome(errno, -1);
    }
  }

  // The map and unmap calls weigh most, so that sequences often reach a cut.
  private static final Gen<Kind> KINDS =
      Gen.frequency(
          Map.entry(
              6,
              Gen.oneOf(
                  Kind.ALLOC, Kind.DESTROY, Kind.GET, Kind.SET, Kind.SET_TYPE1, Kind.IOAS_MAP)),
          Map.entry(2, Gen.oneOf(Kind.CLEAR, Kind.SET_TYPE1V2, Kind.UNMAP_ALL, Kind.IOAS_UNMAP)),
          Map.entry(3, Gen.oneOf(Kind.MAP_DMA, Kind.UNMAP_DMA)));

  private static final Gen<List<Step>> SEQUENCES =
      Gen.lists(
          Gen.zip(
              Gen.zip(KINDS, Gen.ints(0, 3), List::of),
              Gen.zip(Gen.ints(0, PAGES - 1), Gen.ints(1, 4), List::of),
              (a, b) ->
                  new Step(
                      (Kind) a.get(0), (Integer) a.get(1), (Integer) b.get(0), (Integer) b.get(1))),
          1,
          60);

  /** The compatibility layer and its context, driven through their Java API. */
  static class Real {
    final IommufdContext ctx = IommufdContext.create(PAGE, GuestMemory.create(BASE, 1L << 20, 1));
    final IommufdVfioCompat compat = IommufdVfioCompat.of(ctx, PAGE);

    int vfioIoas(int op, int id) {
      return compat.vfioIoas(new IommuVfioIoas(IommuVfioIoas.SIZE, id, op, 0));
    }

    void mapDma(long iova, long size) {
      int rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
      compat.mapDma(new VfioIommuType1DmaMap(32, rw, BASE + iova, iova, size));
    }

    /** Returns the unmapped bytes; {@code copied[0]} gets the size copied back, if any. */
    long unmapDma(int flags, long iova, long size, long[] copied) {
      return compat.unmapDma(new VfioIommuType1DmaUnmap(24, flags, iova, size), n -> copied[0] = n);
    }
  }

  /** Keeps the compatibility IOAS as an id: a later IOAS with the destroyed one's id takes over. */
  static final class KeepsId extends Real {
    private int id; // 0: none

    private int compatId() {
      try {
        ctx.ioasPageSizes(id);
      } catch (UapiException gone) {
        throw new UapiException(Errno.ENODEV, "no compatibility IOAS");
      }
      return id;
    }

    @Override
    int vfioIoas(int op, int ioasId) {
      if (op == IOMMU_VFIO_IOAS_GET) {
        return compatId();
      }
      super.vfioIoas(op, ioasId); // so that SET_IOMMU finds it
      id = op == IOMMU_VFIO_IOAS_SET ? ioasId : 0;
      return 0;
    }

    // The real layer, pointed at the IOAS this twin resolved.
    @Override
    void mapDma(long iova, long size) {
      ctx.setVfioCompatIoas(compatId());
      super.mapDma(iova, size);
    }

    @Override
    long unmapDma(int flags, long iova, long size, long[] copied) {
      ctx.setVfioCompatIoas(compatId());
      return super.unmapDma(flags, iova, size, copied);
    }
  }

  /** A TYPE1 emulation that never cuts: unmaps follow the IOAS rules alone. */
  static final class NoCut extends Real {
    @Override
    long unmapDma(int flags, long iova, long size, long[] copied) {
      if (flags != 0) {
        return super.unmapDma(flags, iova, size, copied);
      }
      int ioas = ctx.vfioCompatIoas();
      copied[0] = 0;
      copied[0] = ctx.ioasUnmap(ioas, iova, size);
      return copied[0];
    }
  }

  /** The model: each IOAS's areas (first IOVA to length) and whether its huge pages are off. */
  static final class Reference {
    static final class Ioas {
      final TreeMap<Long, Long> areas = new TreeMap<>();
      boolean hugePagesOff;

      List<Map.Entry<Long, Long>> areasIn(long iova, long last) {
        List<Map.Entry<Long, Long>> out = new ArrayList<>();
        for (Map.Entry<Long, Long> a : areas.entrySet()) {
          if (a.getKey() <= last && a.getKey() + a.getValue() - 1 >= iova) {
            out.add(Map.entry(a.getKey(), a.getValue())); // a copy: removal reuses the nodes
          }
        }
        return out;
      }

      /** {@code iopt_area_split}: the area holding {@code at} ends there, unless at its ends. */
      void cut(long at) {
        Map.Entry<Long, Long> a = areas.floorEntry(at);
        if (a == null || at == a.getKey() || at >= a.getKey() + a.getValue() - 1) {
          return;
        }
        areas.put(a.getKey(), at + 1 - a.getKey());
        areas.put(at + 1, a.getKey() + a.getValue() - (at + 1));
      }
    }

    final TreeMap<Integer, Ioas> ioases = new TreeMap<>();
    Integer compat;

    int alloc() {
      int id = 1;
      while (ioases.containsKey(id)) {
        id++;
      }
      ioases.put(id, new Ioas());
      return id;
    }

    Outcome destroy(int id) {
      if (ioases.remove(id) == null) {
        return Outcome.fail(Errno.ENOENT);
      }
      if (Integer.valueOf(id).equals(compat)) {
        compat = null;
      }
      return Outcome.ok(0);
    }

    Outcome map(Ioas ioas, long iova, long size) {
      if (!ioas.areasIn(iova, iova + size - 1).isEmpty()) {
        return Outcome.fail(Errno.EEXIST);
      }
      ioas.areas.put(iova, size);
      return Outcome.ok(0);
    }

    /** The IOAS unmap rules; the value is the bytes unmapped, the size copied back. */
    static Outcome unmap(Ioas ioas, long iova, long last, boolean all) {
      List<Map.Entry<Long, Long>> victims = ioas.areasIn(iova, last);
      for (Map.Entry<Long, Long> a : victims) {
        if (a.getKey() < iova || a.getKey() + a.getValue() - 1 > last) {
          return new Outcome(Errno.ENOENT, 0);
        }
      }
      if (victims.isEmpty() && !all) {
        return new Outcome(Errno.ENOENT, 0);
      }
      long total = 0;
      for (Map.Entry<Long, Long> a : victims) {
        ioas.areas.remove(a.getKey());
        total += a.getValue();
      }
      return Outcome.ok(total);
    }

    Outcome unmapDma(long iova, long size) {
      Ioas ioas = ioases.get(compat);
      long last = iova + size - 1;
      if (ioas.hugePagesOff) {
        ioas.cut(last);
        if (iova != 0) {
          ioas.cut(iova - 1);
        }
      }
      return unmap(ioas, iova, last, false);
    }
  }

  private static Outcome run(Runnable call) {
    try {
      call.run();
      return Outcome.ok(0);
    } catch (UapiException e) {
      return Outcome.fail(e.errno());
    }
  }

  private static Outcome unmapOutcome(Real sut, int flags, long iova, long size) {
    long[] copied = {-1};
    try {
      sut.unmapDma(flags, iova, size, copied);
      return Outcome.ok(copied[0]);
    } catch (UapiException e) {
      return new Outcome(e.errno(), copied[0]);
    }
  }

  static void check(Real sut, List<Step> steps) {
    Reference ref = new Reference();
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      long iova = s.page() * PAGE;
      long size = s.pages() * PAGE;
      Reference.Ioas target = ref.ioases.get(s.id());
      Reference.Ioas compat = ref.compat == null ? null : ref.ioases.get(ref.compat);
      Outcome want;
      Outcome got;
      switch (s.kind()) {
        case ALLOC -> {
          want = Outcome.ok(ref.alloc());
          got = Outcome.ok(sut.ctx.ioasAlloc(0));
        }
        case DESTROY -> {
          want = ref.destroy(s.id());
          got = run(() -> sut.ctx.destroy(s.id()));
        }
        case GET -> {
          want = compat == null ? Outcome.fail(Errno.ENODEV) : Outcome.ok(ref.compat);
          try {
            got = Outcome.ok(sut.vfioIoas(IOMMU_VFIO_IOAS_GET, 0));
          } catch (UapiException e) {
            got = Outcome.fail(e.errno());
          }
        }
        case SET -> {
          want = target == null ? Outcome.fail(Errno.ENOENT) : Outcome.ok(0);
          if (target != null) {
            ref.compat = s.id();
          }
          got = run(() -> sut.vfioIoas(IOMMU_VFIO_IOAS_SET, s.id()));
        }
        case CLEAR -> {
          want = Outcome.ok(0);
          ref.compat = null;
          got = run(() -> sut.vfioIoas(IOMMU_VFIO_IOAS_CLEAR, 0));
        }
        case SET_TYPE1, SET_TYPE1V2 -> {
          boolean v1 = s.kind() == Kind.SET_TYPE1;
          want = compat == null ? Outcome.fail(Errno.ENODEV) : Outcome.ok(0);
          if (compat != null && v1) {
            compat.hugePagesOff = true;
          }
          got = run(() -> sut.compat.setIommu(v1 ? VFIO_TYPE1_IOMMU : VFIO_TYPE1v2_IOMMU));
        }
        case MAP_DMA -> {
          want = compat == null ? Outcome.fail(Errno.ENODEV) : ref.map(compat, iova, size);
          got = run(() -> sut.mapDma(iova, size));
        }
        case UNMAP_DMA -> {
          want = compat == null ? Outcome.fail(Errno.ENODEV) : ref.unmapDma(iova, size);
          got = unmapOutcome(sut, 0, iova, size);
        }
        case UNMAP_ALL -> {
          want =
              compat == null
                  ? Outcome.fail(Errno.ENODEV)
                  : Reference.unmap(compat, 0, Long.MAX_VALUE, true);
          got = unmapOutcome(sut, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0);
        }
        case IOAS_MAP -> {
          want = target == null ? Outcome.fail(Errno.ENOENT) : ref.map(target, iova, size);
          int flags =
              IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
          got = run(() -> sut.ctx.ioasMap(s.id(), IoasMap.of(flags, BASE + iova, size, iova)));
        }
        case IOAS_UNMAP -> {
          want =
              target == null
                  ? Outcome.fail(Errno.ENOENT)
                  : Reference.unmap(target, iova, iova + size - 1, false);
          try {
            got = Outcome.ok(sut.ctx.ioasUnmap(s.id(), iova, size));
          } catch (UapiException e) {
            got = Outcome.fail(e.errno());
          }
          if (want.errno() != null) {
            want = Outcome.fail(want.errno()); // IOAS_UNMAP copies nothing back on failure
          }
        }
        default -> throw new AssertionError(s.kind());
      }
      assertEquals(want, got, "step " + i + ": " + s);
    }
    for (Map.Entry<Integer, Reference.Ioas> e : ref.ioases.entrySet()) {
      long bytes = e.getValue().areas.values().stream().mapToLong(Long::longValue).sum();
      assertEquals(bytes, sut.ctx.ioasUnmap(e.getKey(), 0, -1L), "IOAS " + e.getKey() + " at end");
    }
  }

  @Test
  void type1Ioctls_actOnTheIoasThatVfioIoasChose() {
    Property.named("vfio compat acts on the IOMMU_VFIO_IOAS choice")
        .withTries(Math.max(Property.DEFAULT_TRIES, Integer.getInteger("jvfio.tries", 0)))
        .forAll(SEQUENCES, steps -> check(new Real(), steps));
  }

  @Test
  void brokenTwin_keepingTheIoasById_isCaught() {
    assertThrows(
        AssertionFailedError.class,
        () ->
            Property.named("twin: compat IOAS kept by id")
                .forAll(SEQUENCES, steps -> check(new KeepsId(), steps)));
  }

  @Test
  void brokenTwin_type1WithoutCuts_isCaught() {
    assertThrows(
        AssertionFailedError.class,
        () ->
            Property.named("twin: TYPE1 does not cut")
                .forAll(SEQUENCES, steps -> check(new NoCut(), steps)));
  }
}
