package org.jvfio.iommu.smmuv3;

/**
 * The translation granule of an LPAE table: the page size and the size of every non-top table. Each
 * level resolves {@code shift() - 3} IOVA bits.
 */
public enum Granule {
  /** 4 KiB pages and tables of 512 entries; leaves of 4 KiB (L3), 2 MiB (L2) and 1 GiB (L1). */
  G4K(12, 0, (1L << 12) | (1L << 21) | (1L << 30)),
  /**
   * 16 KiB pages and tables of 2048 entries; leaves of 16 KiB (L3) and 32 MiB (L2). The 64 GiB L1
   * block needs 52-bit addressing and is not used by io-pgtable-arm.
   */
  G16K(14, 2, (1L << 14) | (1L << 25)),
  /**
   * 64 KiB pages and tables of 8192 entries; leaves of 64 KiB (L3) and 512 MiB (L2). The 4 TiB L1
   * block exists only with an output size above 48 bits, which this model does not offer.
   */
  G64K(16, 1, (1L << 16) | (1L << 29));

  private final int shift;
  private final int tg0;
  private final long pageSizeBitmap;

  Granule(int shift, int tg0, long pageSizeBitmap) {
    this.shift = shift;
    this.tg0 = tg0;
    this.pageSizeBitmap = pageSizeBitmap;
  }

  /**
   * Returns log2 of the granule size (12, 14 or 16).
   *
   * @return 12, 14 or 16
   */
  public int shift() {
    return shift;
  }

  /**
   * Returns the granule size in bytes.
   *
   * @return 4096, 16384 or 65536
   */
  public long size() {
    return 1L << shift;
  }

  /**
   * Returns the IOVA bits one level resolves: {@code shift() - 3} (9, 11 or 13).
   *
   * @return 9, 11 or 13
   */
  public int bitsPerLevel() {
    return shift - 3;
  }

  /**
   * Returns the entries of one full table: {@code size() / 8} (512, 2048 or 8192).
   *
   * @return 512, 2048 or 8192
   */
  public int entriesPerTable() {
    return 1 << bitsPerLevel();
  }

  /**
   * Returns the {@code TG0} encoding of the context descriptor (CD dword 0 bits 7:6, as {@code
   * TCR_EL1.TG0}): 0 for 4 KiB, 2 for 16 KiB, 1 for 64 KiB.
   *
   * @return the 2-bit TG0 value, 0 to 2
   */
  public int tg0() {
    return tg0;
  }

  /**
   * Returns the leaf sizes io-pgtable-arm allows at this granule ({@code arm_lpae_restrict_pgsizes}
   * with a 48-bit output size), as a page-size bitmap.
   *
   * @return a bitmap with bit n set for each allowed leaf size of 2^n bytes
   */
  public long pageSizeBitmap() {
    return pageSizeBitmap;
  }
}
