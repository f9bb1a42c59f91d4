package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMUFD_PAGE_RESP_INVALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_FLAGS_LAST_PAGE;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.jvfio.api.iommufd.IommuHwptPageResponse;
import org.jvfio.api.iommufd.IommuHwptPgfault;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Property: random page requests of two mock devices (partial and last faults of three group
 * indexes), reads of random sizes, responses to read, unknown and badly coded cookies, and moves of
 * a device off and back onto the fault-capable HWPT give, step by step, the records, cookies,
 * results and device responses of a reference queue ({@code eventq.c}'s deliver list and response
 * xarray, {@code io-pgfault.c}'s partial list); at the end, once everything is read and answered,
 * every group reported has had exactly one response and every fault was read exactly once, in
 * order. The broken twin, a queue that never reuses a cookie, must be caught.
 */
class IommufdFaultsModelTest {
  static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  static final int STEPS = 60;
  static final int DEVICES = 2;
  static final int GROUPS = 3;

  /** One record as a read returns it: {dev index, grpid, addr, cookie, last}. */
  record Rec(int dev, int grpid, long addr, int cookie, boolean last) {}

  /** The operations; each returns a comparable result. */
  interface Queue {
    void report(int dev, int grpid, long addr, boolean last);

    /** Reads up to {@code records} records; the records, or the errno's name. */
    Object read(int records);

    /** One response; the write's result, or the errno's name. */
    Object respond(int cookie, int code);

    /** Moves {@code dev} off the fault-capable HWPT, or back onto it. */
    void move(int dev, boolean on);

    /** The responses the devices received, as {dev index, grpid, code}. */
    List<List<Integer>> responses();
  }

  /** jvfio. */
  static final class Real implements Queue {
    final IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
    final int[] devs = new int[DEVICES];
    final Map<Integer, Integer> devIndex = new HashMap<>();
    final int faultId;
    final int faulty;
    final int plain;

    Real() {
      MockIommuDriver mock = MockIommuDriver.createSelftest(true);
      int ioas = ctx.ioasAlloc(0);
      for (int d = 0; d < DEVICES; d++) {
        devs[d] = ctx.bindDevice(mock, DmaWriteListener.NONE);
        devIndex.put(devs[d], d);
      }
      faultId = ctx.faults().alloc(0);
      faulty =
          ctx.hwptAlloc(new HwptAlloc(IOMMU_HWPT_FAULT_ID_VALID, devs[0], ioas, 0, 0, 0, faultId));
      plain = ctx.hwptAlloc(HwptAlloc.paging(0, devs[0], ioas));
      for (int d = 0; d < DEVICES; d++) {
        ctx.attach(devs[d], faulty);
      }
    }

    @Override
    public void report(int dev, int grpid, long addr, boolean last) {
      int flags = last ? IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0;
      assertTrue(
          ctx.faults().reportDeviceFault(devs[dev], new IopfFault(flags, 0, grpid, 3, addr)));
    }

    @Override
    public Object read(int records) {
      List<Rec> out = new ArrayList<>();
      try {
        long n =
            ctx.faults()
                .read(
                    faultId,
                    (long) records * IommuHwptPgfault.SIZE,
                    (off, r) -> {
                      assertEquals(out.size() * (long) IommuHwptPgfault.SIZE, off);
                      out.add(
                          new Rec(
                              devIndex.get(r.devId()),
                              r.grpid(),
                              r.addr(),
                              r.cookie(),
                              (r.flags() & IOMMU_PGFAULT_FLAGS_LAST_PAGE) != 0));
                    });
        assertEquals(out.size() * (long) IommuHwptPgfault.SIZE, n);
        return out;
      } catch (UapiException e) {
        return e.errno().name();
      }
    }

    @Override
    public Object respond(int cookie, int code) {
      try {
        return ctx.faults()
            .write(
                faultId,
                IommuHwptPageResponse.SIZE,
                off -> new IommuHwptPageResponse(cookie, code));
      } catch (UapiException e) {
        return e.errno().name();
      }
    }

    @Override
    public void move(int dev, boolean on) {
      ctx.attach(devs[dev], on ? faulty : plain);
    }

    @Override
    public List<List<Integer>> responses() {
      List<List<Integer>> out = new ArrayList<>();
      for (IopfResponse r : ctx.faults().pageResponses()) {
        out.add(List.of(devIndex.get(r.devId()), r.grpid(), r.code()));
      }
      return out;
    }
  }

  /** The reference queue; {@code reuseCookies} false is the broken twin. */
  static final class Model implements Queue {
    final boolean reuseCookies;
    final List<List<Rec>> partial = new ArrayList<>();
    final ArrayDeque<List<Rec>> deliver = new ArrayDeque<>();
    final TreeMap<Integer, List<Rec>> waiting = new TreeMap<>();
    final List<List<Integer>> responses = new ArrayList<>();
    final boolean[] on = new boolean[DEVICES];
    int nextCookie = 1;

    Model(boolean reuseCookies) {
      this.reuseCookies = reuseCookies;
      for (int d = 0; d < DEVICES; d++) {
        partial.add(new ArrayList<>());
        on[d] = true;
      }
    }

    @Override
    public void report(int dev, int grpid, long addr, boolean last) {
      Rec r = new Rec(dev, grpid, addr, 0, last);
      if (!last) {
        partial.get(dev).add(r);
        return;
      }
      List<Rec> group = new ArrayList<>();
      partial.get(dev).removeIf(p -> p.grpid() == grpid && group.add(p));
      group.add(r);
      deliver.addLast(group);
    }

    @Override
    public Object read(int records) {
      List<Rec> out = new ArrayList<>();
      while (!deliver.isEmpty() && deliver.peekFirst().size() <= records - out.size()) {
        List<Rec> g = deliver.removeFirst();
        int cookie = 1;
        if (reuseCookies) {
          while (waiting.containsKey(cookie)) {
            cookie++;
          }
        } else {
          cookie = nextCookie++;
        }
        List<Rec> read = new ArrayList<>();
        for (Rec r : g) {
          read.add(new Rec(r.dev(), r.grpid(), r.addr(), cookie, r.last()));
        }
        waiting.put(cookie, read);
        out.addAll(read);
      }
      return out;
    }

    @Override
    public Object respond(int cookie, int code) {
      List<Rec> g = code <= IOMMUFD_PAGE_RESP_INVALID ? waiting.remove(cookie) : null;
      if (g == null) {
        return "EINVAL";
      }
      answer(g, code);
      return (long) IommuHwptPageResponse.SIZE;
    }

    private void answer(List<Rec> g, int code) {
      Rec last = g.get(g.size() - 1);
      responses.add(List.of(last.dev(), last.grpid(), code));
    }

    @Override
    public void move(int dev, boolean to) {
      if (on[dev] == to) {
        return;
      }
      on[dev] = to;
      if (!to) { // auto response, then the device's partial faults go
        deliver.removeIf(g -> g.get(0).dev() == dev && answered(g));
        waiting.values().removeIf(g -> g.get(0).dev() == dev && answered(g));
        partial.get(dev).clear();
      }
    }

    private boolean answered(List<Rec> g) {
      answer(g, IOMMUFD_PAGE_RESP_INVALID);
      return true;
    }

    @Override
    public List<List<Integer>> responses() {
      return responses;
    }
  }

  @Test
  void property_faultQueue_matchesTheReferenceQueue() {
    assertEquals(-1, firstDisagreement(false), "seed=0x" + Long.toHexString(SEED));
  }

  @Test
  void property_brokenTwinThatNeverReusesCookies_isCaught() {
    assertTrue(firstDisagreement(true) >= 0, "the broken twin must be caught");
  }

  /** The first try on which the queue under test and the reference disagree, or -1. */
  private static int firstDisagreement(boolean brokenTwin) {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int t = 0; t < TRIES; t++) {
      Queue sut = brokenTwin ? new Model(false) : new Real();
      Model ref = new Model(true);
      List<Rec> everRead = new ArrayList<>();
      long addr = 0;
      boolean[] on = {true, true};
      for (int s = 0; s < STEPS; s++) {
        Object want;
        Object got;
        int dev = rnd.nextInt(DEVICES);
        switch (rnd.nextInt(6)) {
          case 0:
          case 1:
            if (!on[dev]) {
              continue; // only an attached device faults into the queue
            }
            boolean last = rnd.nextInt(3) != 0;
            int grpid = rnd.nextInt(GROUPS);
            ref.report(dev, grpid, addr, last);
            sut.report(dev, grpid, addr, last);
            addr++;
            continue;
          case 2:
            int records = rnd.nextInt(6);
            want = ref.read(records);
            got = sut.read(records);
            if (want instanceof List) {
              everRead.addAll(listOf(want));
            }
            break;
          case 3:
            int cookie =
                ref.waiting.isEmpty() || rnd.nextInt(4) == 0
                    ? rnd.nextInt(6)
                    : pick(rnd, ref.waiting.keySet());
            int code = rnd.nextInt(5) == 0 ? 2 : rnd.nextInt(2);
            want = ref.respond(cookie, code);
            got = sut.respond(cookie, code);
            break;
          default:
            on[dev] = !on[dev] || rnd.nextBoolean();
            ref.move(dev, on[dev]);
            sut.move(dev, on[dev]);
            want = ref.responses();
            got = sut.responses();
        }
        if (!want.equals(got)) {
          return t;
        }
      }
      // drain: read everything and answer it; every group had one response, every fault one read
      Object rest = ref.read(Integer.MAX_VALUE / IommuHwptPgfault.SIZE);
      if (!rest.equals(sut.read(Integer.MAX_VALUE / IommuHwptPgfault.SIZE))) {
        return t;
      }
      everRead.addAll(listOf(rest));
      for (int cookie : new ArrayList<>(ref.waiting.keySet())) {
        if (!ref.respond(cookie, 0).equals(sut.respond(cookie, 0))) {
          return t;
        }
      }
      if (!ref.responses().equals(sut.responses()) || !readOnceInOrder(everRead)) {
        return t;
      }
    }
    return -1;
  }

  /** Within each device, the last faults read come in report order, none twice. */
  private static boolean readOnceInOrder(List<Rec> read) {
    long[] lastAddr = {-1, -1};
    for (Rec r : read) {
      if (r.last()) {
        if (r.addr() <= lastAddr[r.dev()]) {
          return false;
        }
        lastAddr[r.dev()] = r.addr();
      }
    }
    return read.stream().map(Rec::addr).distinct().count() == read.size();
  }

  @SuppressWarnings("unchecked")
  private static List<Rec> listOf(Object o) {
    return (List<Rec>) o;
  }

  private static int pick(SplittableRandom rnd, java.util.Set<Integer> keys) {
    int i = rnd.nextInt(keys.size());
    for (int k : keys) {
      if (i-- == 0) {
        return k;
      }
    }
    throw new AssertionError();
  }
}
