package org.jvfio.testkit.gen;

import java.util.Map;
import org.jvfio.testkit.Gen;

/**
 * Generators of page sizes: the x86-64 / AMD-Vi / VT-d leaf sizes, any power of two from 4 KiB, and
 * sizes DMA-logging REPORT refuses ({@code page_size < 4096} or not a power of two, {@code
 * vfio_ioctl_device_feature_logging_report()}).
 */
public final class PageSizeGens {
  private PageSizeGens() {}

  /** 4 KiB, the smallest page size the uAPI reports in ({@code SZ_4K}). */
  public static final long SZ_4K = 1L << 12;

  /** 2 MiB, a level-2 leaf. */
  public static final long SZ_2M = 1L << 21;

  /** 1 GiB, a level-3 leaf. */
  public static final long SZ_1G = 1L << 30;

  /**
   * Returns 4 KiB, 2 MiB or 1 GiB (weighted 6:3:1); shrinks toward 4 KiB.
   *
   * @return 4 KiB, 2 MiB or 1 GiB (weighted 6:3:1); shrinks toward 4 KiB
   */
  public static Gen<Long> standard() {
    return Gen.frequency(
        Map.entry(6, Gen.constant(SZ_4K)),
        Map.entry(3, Gen.constant(SZ_2M)),
        Map.entry(1, Gen.constant(SZ_1G)));
  }

  /**
   * Returns powers of two from 4 KiB to 2^47 (128 TiB), mostly {@link #standard} ones: every size a
   * REPORT accepts, short of the absurd.
   *
   * @return powers of two from 4 KiB to 2^47 (128 TiB), mostly {@link #standard} ones: every size a
   *     REPORT accepts, short of the absurd
   */
  public static Gen<Long> powersOfTwo() {
    return Gen.frequency(Map.entry(3, standard()), Map.entry(1, Gen.powersOfTwo(12, 47)));
  }

  /**
   * Returns sizes a DMA-logging REPORT refuses with {@code EINVAL}: zero, below 4 KiB (including
   * the powers of two 1..2048), or from 4 KiB up but not a power of two (such as {@code 2^k + x}
   * with {@code 0 < x < 2^k}, up to {@code 2^64 - 1}).
   *
   * @return sizes a DMA-logging REPORT refuses with {@code EINVAL}: zero, below 4 KiB (including
   *     the powers of two 1..2048), or from 4 KiB up but not a power of two (such as {@code 2^k +
   *     x} with {@code 0 < x < 2^k}, up to {@code 2^64 - 1})
   */
  public static Gen<Long> invalid() {
    Gen<Long> small = Gen.longs(0, SZ_4K - 1);
    Gen<Long> smallPowers = Gen.powersOfTwo(0, 11);
    Gen<Long> notPowers =
        src -> {
          long p = 1L << src.nextInt(12, 63);
          return p + src.nextUnsignedLong(1, p - 1);
        };
    return Gen.choose(small, smallPowers, notPowers);
  }
}
