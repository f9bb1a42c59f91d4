package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.iommufd.ForkFixture.IOVA;
import static org.jvfio.core.iommufd.ForkFixture.PAGE;
import static org.jvfio.core.iommufd.ForkFixture.PAGES;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * Property of the pages of another process ({@code source_mm}, {@code
 * drivers/iommu/iommufd/pages.c}) against a model of what is pinned: a forked child maps random
 * slices of its buffer while a domain comes and goes and an access pins and unpins; then the child
 * exits, and every later pin (adding a domain, an access pin) and access read succeeds exactly
 * where the model has every page pinned, and is {@code EFAULT} elsewhere. While the child lives a
 * read returns the child's bytes, after it the pinned pages' (the parent's at the same address).
 * The broken twin, a kernel that pins through the caller's mm instead of the map's, must be caught.
 */
class SourceMmPropertyTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final int SLOTS = 4;
  private static final long SLOT = 4 * PAGE; // slot s is IOVA + s * SLOT; areas of 1 to 4 pages
  private static final int STEPS = 24;

  @Test
  void pagesOfAnExitedProcess_property_pinnedReachableRestEfault() {
    assertNull(firstDisagreement(false), "seed=0x" + Long.toHexString(SEED));
    assertNotNull(firstDisagreement(true), "the broken twin must be caught");
  }

  /** A model area: {@code pages} pages of the child's buffer from page {@code first}. */
  private record Area(int slot, int first, int pages, Set<Integer> pinned) {
    long iova() {
      return IOVA + slot * SLOT;
    }
  }

  private static String firstDisagreement(boolean twin) {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int t = 0; t < TRIES; t++) {
      try {
        run(rnd.split(), twin);
      } catch (AssertionError | UapiException e) {
        return "try " + t + ": " + e;
      }
    }
    return null;
  }

  private static void run(SplittableRandom rnd, boolean twin) {
    ForkFixture f = new ForkFixture(twin);
    IommufdAccess pinner = IommufdAccess.create(f.ctx, true, (iova, length) -> {});
    pinner.attach(f.ioas);
    IommufdAccess reader = f.rwAccess();
    Area[] areas = new Area[SLOTS];
    List<long[]> pins = new ArrayList<>(); // {slot, iova, length}
    int dev = -1; // the device whose domain is attached, or -1
    int exitAt = rnd.nextInt(STEPS);
    for (int step = 0; step < STEPS; step++) {
      boolean gone = step >= exitAt;
      if (step == exitAt) {
        f.child.exit();
      }
      int slot = rnd.nextInt(SLOTS);
      Area a = areas[slot];
      switch (rnd.nextInt(5)) {
        case 0 -> { // the child maps (or the parent unmaps) the slot
          if (a != null) {
            for (long[] p : List.copyOf(pins)) { // the driver unpins first: its callback does not
              if (p[0] == slot) {
                pinner.unpinPages(p[1], p[2]);
                pins.remove(p);
              }
            }
            f.ctx.ioasUnmap(f.ioas, a.iova(), a.pages() * PAGE);
            areas[slot] = null;
          } else if (!gone) {
            Area n = new Area(slot, rnd.nextInt(PAGES - 4), 1 + rnd.nextInt(4), new HashSet<>());
            f.childMaps(n.first(), n.pages(), n.iova());
            areas[slot] = n;
          }
        }
        case 1 -> { // a domain comes (pinning every area) or goes
          if (dev >= 0) {
            f.ctx.detach(dev);
            f.ctx.unbindDevice(dev);
            dev = -1;
          } else {
            boolean all = true;
            for (Area x : areas) {
              all &= x == null || unpinned(x, 0, x.pages(), false).isEmpty();
            }
            dev = expect(!gone || all, f::attachDomain, -1);
          }
        }
        case 2 -> { // the access pins pages of the slot
          if (a != null) {
            int from = rnd.nextInt(a.pages());
            int n = 1 + rnd.nextInt(a.pages() - from);
            boolean ok = !gone || unpinned(a, from, n, dev >= 0).isEmpty();
            long iova = a.iova() + from * PAGE;
            if (expect(ok, () -> pinner.pinPages(iova, n * PAGE, false).length, -1) >= 0) {
              pins.add(new long[] {slot, iova, n * PAGE});
              for (int p = from; p < from + n; p++) {
                a.pinned().add(p);
              }
            }
          }
        }
        case 3 -> { // the access gives a pin back
          if (!pins.isEmpty()) {
            long[] p = pins.remove(rnd.nextInt(pins.size()));
            pinner.unpinPages(p[1], p[2]);
            Area x = areas[(int) p[0]];
            x.pinned().clear();
            for (long[] q : pins) {
              if (q[0] == p[0]) {
                for (long va = q[1]; va < q[1] + q[2]; va += PAGE) {
                  x.pinned().add((int) ((va - x.iova()) / PAGE));
                }
              }
            }
          }
        }
        default -> { // the parent reads through an access
          if (a != null) {
            int off = rnd.nextInt((int) (a.pages() * PAGE));
            int length = 1 + rnd.nextInt((int) (a.pages() * PAGE) - off);
            int from = off / (int) PAGE;
            int n = (off + length - 1) / (int) PAGE - from + 1;
            boolean ok = !gone || unpinned(a, from, n, dev >= 0).isEmpty();
            byte[] want = new byte[length];
            Arrays.fill(want, (byte) (gone ? 1 : 2));
            if (expect(ok, () -> f.read(reader, a.iova() + off, length).length, -1) >= 0) {
              assertArrayEquals(want, f.read(reader, a.iova() + off, length), "bytes");
            }
          }
        }
      }
    }
  }

  /** The model: pages {@code [from, from + n)} of {@code a} that nothing pins. */
  private static List<Integer> unpinned(Area a, int from, int n, boolean domain) {
    List<Integer> out = new ArrayList<>();
    for (int p = from; p < from + n && !domain; p++) {
      if (!a.pinned().contains(p)) {
        out.add(p);
      }
    }
    return out;
  }

  /** Runs {@code call}, which must succeed if {@code ok} and fail with {@code EFAULT} if not. */
  private static int expect(boolean ok, IntSupplier call, int failed) {
    try {
      int rc = call.getAsInt();
      assertTrue(ok, "succeeded where the model has unpinned pages of a gone process");
      return rc;
    } catch (UapiException e) {
      assertFalse(ok, () -> "refused with " + e.errno() + " where the model pins every page");
      assertEquals(Errno.EFAULT, e.errno());
      return failed;
    }
  }
}
