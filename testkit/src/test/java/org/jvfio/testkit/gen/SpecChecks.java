package org.jvfio.testkit.gen;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.api.vfio.Vfio;

/**
 * The kernel's checks, written independently of the generators from the kernel's DMA-logging START
 * and REPORT checks (vfio_main.c) and iommufd_check_iova_range() (io_pagetable.c), with BigInteger
 * arithmetic instead of the generators' unsigned long tricks. Each method returns every violated
 * condition (by name) with its errno, whatever the kernel's order, so that a test can demand that
 * an invalid case violates exactly one.
 */
final class SpecChecks {
  private SpecChecks() {}

  static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  static BigInteger u(long x) {
    BigInteger b = BigInteger.valueOf(x & Long.MAX_VALUE);
    return x < 0 ? b.setBit(63) : b;
  }

  static boolean aligned(long x, long a) {
    return u(x).mod(u(a)).signum() == 0;
  }

  static boolean powerOfTwo(long x) {
    return x != 0 && u(x).bitCount() == 1;
  }

  /** START's per-range checks. */
  static Map<String, Errno> start(DmaLoggingStartCase c) {
    Map<String, Errno> v = new LinkedHashMap<>();
    if (c.numRanges() == 0) {
      v.put("num_ranges == 0", Errno.EINVAL);
    }
    if (c.numRanges() > Vfio.LOG_MAX_RANGES) {
      v.put("num_ranges > LOG_MAX_RANGES", Errno.E2BIG);
    }
    List<IovaRange> fitting = new ArrayList<>();
    for (IovaRange r : c.ranges()) {
      if (!aligned(r.iova(), c.pageSize()) || !aligned(r.length(), c.pageSize())) {
        v.put("range not aligned to page_size", Errno.EINVAL);
      }
      if (u(r.iova()).add(u(r.length())).compareTo(TWO_64) >= 0) {
        v.put("iova + length overflows", Errno.EOVERFLOW);
      } else {
        fitting.add(r);
      }
    }
    TreeMap<BigInteger, BigInteger> tree = new TreeMap<>();
    for (IovaRange r : fitting) {
      if (overlapsAny(tree, r)) {
        v.put("ranges overlap", Errno.EINVAL);
      }
      tree.put(u(r.iova()), u(r.iova()).add(u(r.length())));
    }
    return v;
  }

  /** Whether r meets one of the ranges in tree (start -> exclusive end, disjoint). */
  private static boolean overlapsAny(TreeMap<BigInteger, BigInteger> tree, IovaRange r) {
    BigInteger start = u(r.iova());
    BigInteger end = start.add(u(r.length()));
    Map.Entry<BigInteger, BigInteger> below = tree.floorEntry(start);
    Map.Entry<BigInteger, BigInteger> above = tree.ceilingEntry(start);
    return (below != null && below.getValue().compareTo(start) > 0)
        || (above != null && above.getKey().compareTo(end) < 0);
  }

  /** The errno of START in the kernel's order (user order of ranges), or empty. */
  static Optional<Errno> startInKernelOrder(DmaLoggingStartCase c) {
    if (c.numRanges() == 0) {
      return Optional.of(Errno.EINVAL);
    }
    if (c.numRanges() > Vfio.LOG_MAX_RANGES) {
      return Optional.of(Errno.E2BIG);
    }
    TreeMap<BigInteger, BigInteger> inserted = new TreeMap<>();
    for (IovaRange r : c.ranges()) {
      if (!aligned(r.iova(), c.pageSize()) || !aligned(r.length(), c.pageSize())) {
        return Optional.of(Errno.EINVAL);
      }
      if (u(r.iova()).add(u(r.length())).compareTo(TWO_64) >= 0) {
        return Optional.of(Errno.EOVERFLOW);
      }
      if (overlapsAny(inserted, r)) {
        return Optional.of(Errno.EINVAL);
      }
      inserted.put(u(r.iova()), u(r.iova()).add(u(r.length())));
    }
    return Optional.empty();
  }

  /** REPORT's range checks. */
  static Map<String, Errno> report(DmaLoggingReportCase c) {
    Map<String, Errno> v = new LinkedHashMap<>();
    if (u(c.pageSize()).compareTo(BigInteger.valueOf(4096)) < 0 || !powerOfTwo(c.pageSize())) {
      v.put("page_size < 4K or not a power of two", Errno.EINVAL);
    }
    if (u(c.iova()).add(u(c.length())).compareTo(TWO_64) >= 0) {
      v.put("iova + length overflows", Errno.EOVERFLOW);
    }
    return v;
  }

  /** IOMMU_HWPT_GET_DIRTY_BITMAP's flag and range checks (iommufd_check_iova_range). */
  static Map<String, Errno> getDirtyBitmap(GetDirtyBitmapCase c) {
    Map<String, Errno> v = new LinkedHashMap<>();
    if ((c.flags() & ~Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) != 0 || c.reserved() != 0) {
      v.put("unknown flags or __reserved", Errno.EOPNOTSUPP);
    }
    BigInteger last = u(c.iova()).add(u(c.length())).subtract(BigInteger.ONE);
    if (last.compareTo(TWO_64) >= 0 || last.signum() < 0) {
      v.put("iova + length - 1 overflows", Errno.EOVERFLOW);
      return v; // the alignment checks below use the wrapped value; the kernel never gets there
    }
    BigInteger end = last.add(BigInteger.ONE).mod(TWO_64);
    BigInteger ia = u(c.iovaAlignment());
    if (u(c.iova()).mod(ia).signum() != 0 || end.mod(ia).signum() != 0) {
      v.put("not aligned to iova_alignment", Errno.EINVAL);
    }
    if (c.pageSize() == 0) {
      v.put("page_size == 0", Errno.EINVAL);
    } else {
      BigInteger ps = u(c.pageSize());
      if (u(c.iova()).mod(ps).signum() != 0 || end.mod(ps).signum() != 0) {
        v.put("not aligned to page_size", Errno.EINVAL);
      }
    }
    return v;
  }
}
