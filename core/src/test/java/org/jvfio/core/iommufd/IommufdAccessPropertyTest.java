package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.iommufd.IommufdAccessTest.IOVA;
import static org.jvfio.core.iommufd.IommufdAccessTest.PAGE;
import static org.jvfio.core.iommufd.IommufdAccessTest.PAGES;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.IommufdAccessTest.Driver;
import org.jvfio.core.kernel.UserMemory;

/**
 * Property of {@link IommufdAccess} against a model of areas and pins: random maps, unmaps, pins,
 * unpins, reads and writes through two pinning accesses (the selftest's driver). After every step
 * the pin count of each page is the model's, a successful {@code IOMMU_IOAS_UNMAP} leaves no pin in
 * its range, a pin returns the pages the model maps, and a read returns (a write stores) the user's
 * bytes where the model maps the IOVA. The broken twin, a driver whose unmap callback forgets to
 * unpin, must be caught.
 */
class IommufdAccessPropertyTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final int SLOTS = 6;
  private static final long SLOT = 4 * PAGE; // slot s is IOVA + s * SLOT; areas of 1 to 4 pages
  private static final int STEPS = 30;

  @Test
  void accesses_property_agreeWithTheModel() {
    assertNull(firstDisagreement(false), "seed=0x" + Long.toHexString(SEED));
    assertTrue(firstDisagreement(true) != null, "the broken twin must be caught");
  }

  /** A model area: {@code pages} pages at {@code userVa}, mapped at slot {@code slot}. */
  private record Area(int slot, long userVa, long pages) {
    long iova() {
      return IOVA + slot * SLOT;
    }

    long last() {
      return iova() + pages * PAGE - 1;
    }
  }

  /** A model pin: driver {@code k}'s pin of {@code [iova, last]}, holding {@code pages}. */
  private record Pin(int k, long iova, long last, List<Long> pages) {}

  /** The first failure (seed try and message), or null if every try agrees. */
  private static String firstDisagreement(boolean forgetful) {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int t = 0; t < TRIES; t++) {
      try {
        run(rnd.split(), forgetful);
      } catch (AssertionError | UapiException e) {
        return "try " + t + ": " + e;
      }
    }
    return null;
  }

  private static void run(SplittableRandom rnd, boolean forgetful) {
    UserMemory user = new UserMemory();
    long buf = user.allocate(PAGES * PAGE, PAGE, 0);
    IommufdContext ctx = IommufdContext.create(GuestMemory.create(buf, PAGES * PAGE, 1));
    int ioas = ctx.ioasAlloc(0);
    Driver[] drivers = {new Driver(ctx, true, forgetful), new Driver(ctx, true, false)};
    for (Driver d : drivers) {
      d.access.attach(ioas);
    }
    Area[] areas = new Area[SLOTS];
    List<Pin> pins = new ArrayList<>();
    for (int step = 0; step < STEPS; step++) {
      int slot = rnd.nextInt(SLOTS);
      switch (rnd.nextInt(6)) {
        case 0 -> { // map
          if (areas[slot] == null) {
            Area a = new Area(slot, buf + rnd.nextInt(PAGES - 4) * PAGE, 1 + rnd.nextInt(4));
            ctx.ioasMap(ioas, IoasMap.fixed(a.userVa(), a.pages() * PAGE, a.iova()));
            areas[slot] = a;
          }
        }
        case 1 -> { // unmap
          Area a = areas[slot];
          if (a != null) {
            assertEquals(a.pages() * PAGE, ctx.ioasUnmap(ioas, a.iova(), a.pages() * PAGE));
            areas[slot] = null;
            pins.removeIf(p -> p.iova() <= a.last() && a.iova() <= p.last());
            for (Driver d : drivers) {
              for (long[] it : d.items) {
                assertTrue(it[0] > a.last() || it[0] + it[1] - 1 < a.iova(), "pin left");
              }
            }
          }
        }
        case 2 -> { // pin
          int k = rnd.nextInt(2);
          long iova = IOVA + (slot * 4L + rnd.nextInt(4)) * PAGE;
          long length = (1 + rnd.nextInt(6)) * PAGE - rnd.nextInt(2);
          List<Long> want = userPages(areas, iova, length);
          try {
            long[] got = drivers[k].pin(iova, length);
            assertArrayEquals(want.stream().mapToLong(Long::longValue).toArray(), got);
            pins.add(new Pin(k, iova, iova + length - 1, want));
          } catch (UapiException e) {
            assertEquals(Errno.ENOENT, e.errno());
            assertNull(want, "pin refused over mapped pages");
          }
        }
        case 3 -> { // unpin an item
          int k = rnd.nextInt(2);
          Driver d = drivers[k];
          if (!d.items.isEmpty()) {
            long[] it = d.items.remove(rnd.nextInt(d.items.size()));
            d.access.unpinPages(it[0], it[1]);
            Pin p = pins.stream().filter(q -> q.k() == k && q.iova() == it[0]).findFirst().get();
            pins.remove(p);
          }
        }
        default -> { // read or write
          long iova = IOVA + slot * SLOT + rnd.nextInt((int) SLOT);
          int length = 1 + rnd.nextInt((int) (2 * PAGE));
          boolean write = rnd.nextBoolean();
          byte[] data = new byte[length];
          rnd.nextBytes(data);
          List<long[]> where = userSegments(areas, iova, length);
          try {
            if (write) {
              drivers[1].access.write(iova, ByteBuffer.wrap(data), user);
            } else {
              drivers[1].access.read(iova, ByteBuffer.wrap(data), user);
            }
            ByteBuffer mapped = ByteBuffer.allocate(length);
            for (long[] seg : where) {
              user.read(seg[0], mapped.limit(mapped.position() + (int) seg[1]));
            }
            assertArrayEquals(mapped.array(), data);
          } catch (UapiException e) {
            assertEquals(Errno.ENOENT, e.errno());
            assertNull(where, "rw refused over mapped bytes");
          }
        }
      }
      for (int p = 0; p < PAGES; p++) {
        long page = buf + p * PAGE;
        assertEquals(modelPins(areas, pins, page), ctx.pinCount(page), "pins of page " + p);
      }
    }
  }

  /** The model's area mapping {@code iova}, or null. */
  private static Area areaAt(Area[] areas, long iova) {
    for (Area a : areas) {
      if (a != null && iova >= a.iova() && iova <= a.last()) {
        return a;
      }
    }
    return null;
  }

  /** The user page of each page of the range, or null unless areas cover it contiguously. */
  private static List<Long> userPages(Area[] areas, long iova, long length) {
    List<Long> out = new ArrayList<>();
    for (long at = iova; at < iova + length; at += PAGE) {
      Area a = areaAt(areas, at);
      if (a == null || areaAt(areas, Math.min(at + PAGE, iova + length) - 1) == null) {
        return null;
      }
      out.add(a.userVa() + (at - a.iova()));
    }
    return out;
  }

  /** The user {address, length} of each area's piece of the range, or null unless covered. */
  private static List<long[]> userSegments(Area[] areas, long iova, int length) {
    List<long[]> out = new ArrayList<>();
    for (long at = iova; at < iova + length; ) {
      Area a = areaAt(areas, at);
      if (a == null) {
        return null;
      }
      long end = Math.min(a.last() + 1, iova + length);
      out.add(new long[] {a.userVa() + (at - a.iova()), end - at});
      at = end;
    }
    return out;
  }

  /** Areas mapping {@code page} through which a pin holds it (jvfio counts once per area). */
  private static int modelPins(Area[] areas, List<Pin> pins, long page) {
    int n = 0;
    for (Area a : areas) {
      if (a == null || page < a.userVa() || page >= a.userVa() + a.pages() * PAGE) {
        continue;
      }
      for (Pin p : pins) {
        if (p.iova() <= a.last() && a.iova() <= p.last() && p.pages().contains(page)) {
          n++;
          break;
        }
      }
    }
    return n;
  }
}
