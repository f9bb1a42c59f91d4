package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Property: random PASID attaches, replaces and detaches and {@code IOMMU_NO_PASID} attaches and
 * detaches of two mock devices over five HWPTs, three paging (one a nest parent) and two nested on
 * that parent, one of each kind allocated without {@code IOMMU_HWPT_ALLOC_PASID}, and an IOAS give
 * the errnos and the per-device PASID-to-HWPT table of a small reference model of {@code
 * drivers/iommu/iommufd/device.c} ({@code pasid_attach} and {@code iommufd_hwpt_pasid_compat}) with
 * the mock's PASID 1024 turn. The broken twin, a table that skips the {@code pasid_compat} check,
 * must be caught.
 */
class IommufdPasidModelTest {
  static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  static final int STEPS = 40;
  static final int DEVICES = 2;
  static final int[] PASIDS = {1, 7, 1024};
  // HWPTs 0 and 3 without IOMMU_HWPT_ALLOC_PASID; 2 is the nest parent of the nested 3 and 4
  static final boolean[] COMPAT = {false, true, true, false, true};
  static final int PARENT = 2;
  static final int IOAS = COMPAT.length; // the pt index of the IOAS

  /** The operations, on device, PASID and pt indexes; each returns its errno or null. */
  interface Table {
    Errno attach(int dev, int pasid, int pt);

    Errno replace(int dev, int pasid, int pt);

    Errno detach(int dev, int pasid);

    Errno noPasidAttach(int dev, int pt);

    Errno noPasidDetach(int dev);

    /** The HWPT index {@code pasid} of {@code dev} is attached to, or -1. */
    int attached(int dev, int pasid);
  }

  /** jvfio. */
  static final class Real implements Table {
    final IommufdContext fd = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
    final int[] devs = new int[DEVICES];
    final int[] pts = new int[COMPAT.length + 1];

    Real() {
      MockIommuDriver mock = MockIommuDriver.createSelftest(true);
      for (int d = 0; d < DEVICES; d++) {
        devs[d] = fd.bindDevice(mock, DmaWriteListener.NONE);
        fd.pasid().setMaxPasids(devs[d], 1 << 20);
      }
      pts[IOAS] = fd.ioasAlloc(0);
      for (int h = 0; h < COMPAT.length; h++) {
        int flags = COMPAT[h] ? IOMMU_HWPT_ALLOC_PASID : 0;
        if (h > PARENT) {
          UserData data = UserData.of(IOMMU_HWPT_DATA_SELFTEST, new byte[4]);
          HwptAlloc nested =
              new HwptAlloc(flags, devs[0], pts[PARENT], 0, IOMMU_HWPT_DATA_SELFTEST, 4, 0);
          pts[h] = fd.hwptAlloc(nested, data);
        } else {
          flags |= h == PARENT ? IOMMU_HWPT_ALLOC_NEST_PARENT : 0;
          pts[h] = fd.hwptAlloc(HwptAlloc.paging(flags, devs[0], pts[IOAS]));
        }
      }
    }

    private static Errno run(Runnable r) {
      try {
        r.run();
        return null;
      } catch (UapiException e) {
        return e.errno();
      }
    }

    @Override
    public Errno attach(int dev, int pasid, int pt) {
      return run(() -> fd.pasid().attach(devs[dev], pasid, pts[pt]));
    }

    @Override
    public Errno replace(int dev, int pasid, int pt) {
      return run(() -> fd.pasid().replace(devs[dev], pasid, pts[pt]));
    }

    @Override
    public Errno detach(int dev, int pasid) {
      return run(() -> fd.pasid().detach(devs[dev], pasid));
    }

    @Override
    public Errno noPasidAttach(int dev, int pt) {
      return run(() -> fd.attach(devs[dev], pts[pt]));
    }

    @Override
    public Errno noPasidDetach(int dev) {
      return run(() -> fd.detach(devs[dev]));
    }

    @Override
    public int attached(int dev, int pasid) {
      for (int h = 0; h < COMPAT.length; h++) {
        int hh = h;
        if (run(() -> fd.pasid().checkHwpt(devs[dev], pasid, pts[hh])) == null) {
          return h;
        }
      }
      assertEquals(null, run(() -> fd.pasid().checkHwpt(devs[dev], pasid, 0)));
      return -1;
    }
  }

  /** The reference model; {@code compatCheck} false is the broken twin. */
  static final class Model implements Table {
    final boolean compatCheck;
    final List<Map<Integer, Integer>> pasids = new ArrayList<>();
    final int[] noPasid = new int[DEVICES];
    boolean pasid1024Attached;

    Model(boolean compatCheck) {
      this.compatCheck = compatCheck;
      for (int d = 0; d < DEVICES; d++) {
        pasids.add(new HashMap<>());
        noPasid[d] = -1;
      }
    }

    private boolean compat(int pt) {
      return pt != IOAS && COMPAT[pt];
    }

    /** iommufd_hwpt_pasid_compat for a PASID, then the mock's set_dev_pasid. */
    private Errno set(int dev, int pasid, int pt) {
      if (compatCheck && (!compat(pt) || (noPasid[dev] >= 0 && !compat(noPasid[dev])))) {
        return Errno.EINVAL;
      }
      if (pt == IOAS) {
        return Errno.EINVAL; // no auto domain takes a PASID
      }
      if (pasid == 1024) {
        pasid1024Attached = !pasid1024Attached;
        if (!pasid1024Attached) {
          return Errno.ENOMEM;
        }
      }
      pasids.get(dev).put(pasid, pt);
      return null;
    }

    @Override
    public Errno attach(int dev, int pasid, int pt) {
      return pasids.get(dev).containsKey(pasid) ? Errno.EBUSY : set(dev, pasid, pt);
    }

    @Override
    public Errno replace(int dev, int pasid, int pt) {
      Integer cur = pasids.get(dev).get(pasid);
      if (cur == null) {
        return Errno.EINVAL;
      }
      return cur == pt ? null : set(dev, pasid, pt);
    }

    @Override
    public Errno detach(int dev, int pasid) {
      if (pasids.get(dev).remove(pasid) != null && pasid == 1024) {
        pasid1024Attached = false;
      }
      return null;
    }

    @Override
    public Errno noPasidAttach(int dev, int pt) {
      if (pt != noPasid[dev] && !compat(pt) && !pasids.get(dev).isEmpty()) {
        return Errno.EINVAL;
      }
      noPasid[dev] = pt;
      return null;
    }

    @Override
    public Errno noPasidDetach(int dev) {
      noPasid[dev] = -1;
      return null;
    }

    @Override
    public int attached(int dev, int pasid) {
      return pasids.get(dev).getOrDefault(pasid, -1);
    }
  }

  @Test
  void property_pasidAttachments_matchTheModel() {
    assertEquals(-1, firstDisagreement(false), "seed=0x" + Long.toHexString(SEED));
  }

  @Test
  void property_brokenTwinWithoutPasidCompat_isCaught() {
    assertTrue(firstDisagreement(true) >= 0, "the broken twin must be caught");
  }

  /** The first try on which the table under test and the model disagree, or -1. */
  private static int firstDisagreement(boolean brokenTwin) {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int t = 0; t < TRIES; t++) {
      Table sut = brokenTwin ? new Model(false) : new Real();
      Model ref = new Model(true);
      for (int s = 0; s < STEPS; s++) {
        int dev = rnd.nextInt(DEVICES);
        int pasid = PASIDS[rnd.nextInt(PASIDS.length)];
        int pt = rnd.nextInt(IOAS + 1);
        int hwpt = rnd.nextInt(COMPAT.length); // NO_PASID attaches avoid new auto domains
        Errno want;
        Errno got;
        switch (rnd.nextInt(5)) {
          case 0:
            want = ref.attach(dev, pasid, pt);
            got = sut.attach(dev, pasid, pt);
            break;
          case 1:
            want = ref.replace(dev, pasid, pt);
            got = sut.replace(dev, pasid, pt);
            break;
          case 2:
            want = ref.detach(dev, pasid);
            got = sut.detach(dev, pasid);
            break;
          case 3:
            want = ref.noPasidAttach(dev, hwpt);
            got = sut.noPasidAttach(dev, hwpt);
            break;
          default:
            want = ref.noPasidDetach(dev);
            got = sut.noPasidDetach(dev);
            break;
        }
        if (want != got) {
          return t;
        }
      }
      for (int d = 0; d < DEVICES; d++) {
        for (int p : PASIDS) {
          if (ref.attached(d, p) != sut.attached(d, p)) {
            return t;
          }
        }
      }
    }
    return -1;
  }
}
