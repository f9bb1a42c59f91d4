package org.jvfio.testkit.gen;

import java.util.Optional;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Source;

/**
 * Generators of {@code IOMMU_HWPT_GET_DIRTY_BITMAP} requests, valid and invalid, for an IOAS with a
 * given {@code iova_alignment} (the {@code iommu_pgsize} of {@code iommufd_check_iova_range()}).
 *
 * <p>Valid requests use a power-of-two page size from 4 KiB and a range of up to 1024 pages aligned
 * to both the page size and the IOVA alignment whose last IOVA fits in 64 bits, including ranges
 * ending exactly at {@code 2^64 - 1} (valid here, unlike for DMA-logging REPORT). Not generated,
 * because the kernel does not check them and a model should refuse them: {@code length == 0}, a
 * page size that is not a power of two. Whether the range is mapped is not the generator's concern:
 * the kernel reports success even for unmapped ranges.
 */
public final class DirtyBitmapGens {
  private DirtyBitmapGens() {}

  private static final long MAX_PAGES = 1024;

  /**
   * Returns requests that pass every check: flags 0 or NO_CLEAR, {@code __reserved} 0, a fitting
   * aligned range, a valid page size.
   *
   * @param iovaAlignment the IOVA alignment of the bitmap (its page size divides it)
   * @return requests that pass every check: flags 0 or NO_CLEAR, {@code __reserved} 0, a fitting
   *     aligned range, a valid page size
   * @throws IllegalArgumentException unless {@code iovaAlignment} is a power of two in {@code [1,
   *     2^46]}
   */
  public static Gen<GetDirtyBitmapCase> valid(long iovaAlignment) {
    checkAlignment(iovaAlignment);
    return src -> {
      long ps = PageSizeGens.powersOfTwo().generate(src);
      IovaRange r = fittingRange(src, Math.max(ps, iovaAlignment));
      return new GetDirtyBitmapCase(
          src.nextBoolean() ? Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0,
          0,
          r.iova(),
          r.length(),
          ps,
          iovaAlignment,
          Optional.empty());
    };
  }

  /**
   * Returns requests that fail exactly one check: an unknown flag or a non-zero {@code __reserved}
   * ({@code EOPNOTSUPP}); a last IOVA {@code iova + length - 1} that wraps ({@code EOVERFLOW}); an
   * iova or end not aligned to the IOVA alignment, with a page size small enough to divide them
   * ({@code EINVAL}); {@code page_size == 0} ({@code EINVAL}); an iova or end aligned to the IOVA
   * alignment but not to a larger page size ({@code EINVAL}).
   *
   * @param iovaAlignment the IOVA alignment of the bitmap (its page size divides it)
   * @return requests that fail exactly one check: an unknown flag or a non-zero {@code __reserved}
   *     ({@code EOPNOTSUPP}); a last IOVA {@code iova + length - 1} that wraps ({@code EOVERFLOW});
   *     an iova or end not aligned to the IOVA alignment, with a page size small enough to divide
   *     them ({@code EINVAL}); {@code page_size == 0} ({@code EINVAL}); an iova or end aligned to
   *     the IOVA alignment but not to a larger page size ({@code EINVAL})
   * @throws IllegalArgumentException unless {@code iovaAlignment} is a power of two in {@code [2,
   *     2^46]}
   */
  public static Gen<GetDirtyBitmapCase> invalid(long iovaAlignment) {
    checkAlignment(iovaAlignment);
    if (iovaAlignment < 2) {
      throw new IllegalArgumentException("nothing is misaligned to an alignment of 1");
    }
    Gen<GetDirtyBitmapCase> valid = valid(iovaAlignment);
    Gen<GetDirtyBitmapCase> badFlags =
        src -> {
          GetDirtyBitmapCase c = valid.generate(src);
          int flags = c.flags();
          int reserved = 0;
          if (src.nextBoolean()) {
            flags |= 1 << src.nextInt(1, 31);
          } else {
            reserved = (int) src.nextUnsignedLong(1, 0xFFFF_FFFFL);
          }
          return with(c, flags, reserved, c.range(), c.pageSize(), Errno.EOPNOTSUPP);
        };
    Gen<GetDirtyBitmapCase> overflow =
        src -> {
          GetDirtyBitmapCase c = valid.generate(src);
          IovaRange r =
              IovaGens.wrapping(Math.max(c.pageSize(), iovaAlignment), MAX_PAGES).generate(src);
          return with(c, c.flags(), 0, r, c.pageSize(), Errno.EOVERFLOW);
        };
    Gen<GetDirtyBitmapCase> misalignedToIoas =
        src -> {
          GetDirtyBitmapCase c = valid.generate(src);
          long ps = 1L << src.nextInt(0, Long.numberOfTrailingZeros(iovaAlignment) - 1);
          IovaRange r = misaligned(src, iovaAlignment, ps);
          return with(c, c.flags(), 0, r, ps, Errno.EINVAL);
        };
    Gen<GetDirtyBitmapCase> zeroPageSize =
        src -> {
          GetDirtyBitmapCase c = valid.generate(src);
          return with(c, c.flags(), 0, c.range(), 0, Errno.EINVAL);
        };
    Gen<GetDirtyBitmapCase> misalignedToPageSize =
        src -> {
          GetDirtyBitmapCase c = valid.generate(src);
          int minLog2 = Math.max(12, Long.numberOfTrailingZeros(iovaAlignment) + 1);
          long ps = Gen.powersOfTwo(minLog2, 47).generate(src);
          IovaRange r = misaligned(src, ps, iovaAlignment);
          return with(c, c.flags(), 0, r, ps, Errno.EINVAL);
        };
    return Gen.choose(badFlags, overflow, misalignedToIoas, zeroPageSize, misalignedToPageSize);
  }

  /**
   * Draws a range of up to {@code MAX_PAGES} units of {@code alignment} whose last IOVA fits,
   * sometimes ending exactly at {@code 2^64 - 1}.
   */
  private static IovaRange fittingRange(Source src, long alignment) {
    return Gen.choose(
            IovaGens.aligned(alignment, MAX_PAGES), IovaGens.endingAtTop(alignment, MAX_PAGES))
        .generate(src);
  }

  /**
   * Draws a fitting range aligned to {@code fine} whose iova or end (or both) is not a multiple of
   * {@code coarse}, a larger power of two.
   */
  private static IovaRange misaligned(Source src, long coarse, long fine) {
    IovaRange r = IovaGens.aligned(coarse, MAX_PAGES).generate(src);
    long units = coarse / fine;
    int which = src.nextInt(0, 2); // 0: end, 1: iova, 2: both (iova up, end kept)
    long iovaOff = which == 0 ? 0 : src.nextLong(1, units - 1) * fine;
    long endOff = which == 1 ? iovaOff : src.nextLong(1, units - 1) * fine;
    if (which == 2 && endOff == iovaOff) {
      endOff = 0; // the end would be aligned again: keep the length, moving the end by iovaOff
    }
    return new IovaRange(r.iova() + iovaOff, r.length() - endOff);
  }

  private static GetDirtyBitmapCase with(
      GetDirtyBitmapCase c, int flags, int reserved, IovaRange r, long ps, Errno errno) {
    return new GetDirtyBitmapCase(
        flags, reserved, r.iova(), r.length(), ps, c.iovaAlignment(), Optional.of(errno));
  }

  private static void checkAlignment(long iovaAlignment) {
    if (iovaAlignment <= 0 || iovaAlignment > (1L << 46) || Long.bitCount(iovaAlignment) != 1) {
      throw new IllegalArgumentException(
          "iova alignment must be a power of two in [1, 2^46]: " + iovaAlignment);
    }
  }
}
