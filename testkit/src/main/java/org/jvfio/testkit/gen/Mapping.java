package org.jvfio.testkit.gen;

/**
 * One IOVA mapping of a {@link MappingLayout}: {@code length} bytes at {@code iova}, both multiples
 * of {@code pageSize}, meant to be mapped with leaves of that size (4 KiB, 2 MiB or 1 GiB).
 *
 * @param iova the first IOVA
 * @param length the length in bytes, a positive multiple of {@code pageSize}
 * @param pageSize the leaf page size, a power of two
 */
public record Mapping(long iova, long length, long pageSize) {
  /**
   * Validates the mapping.
   *
   * @param iova the first IOVA
   * @param length the length in bytes, a positive multiple of {@code pageSize}
   * @param pageSize the page size in bytes, a power of two
   * @throws IllegalArgumentException unless {@code pageSize} is a power of two dividing {@code
   *     iova} and a positive {@code length}, and the mapping does not cross {@code 2^64}
   */
  public Mapping {
    if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
      throw new IllegalArgumentException("page size not a power of two: " + pageSize);
    }
    IovaRange r = new IovaRange(iova, length);
    if (length == 0 || !r.isAlignedTo(pageSize) || r.lastOverflows()) {
      throw new IllegalArgumentException("bad mapping " + r + " for page size " + pageSize);
    }
  }

  /**
   * Returns the mapped range.
   *
   * @return the mapped range
   */
  public IovaRange range() {
    return new IovaRange(iova, length);
  }

  /** Returns {@code [0x<iova>+0x<length>]/<pageSize>}. */
  @Override
  public String toString() {
    return range() + "/" + pageSizeName(pageSize);
  }

  static String pageSizeName(long size) {
    if (size >= (1L << 30) && size % (1L << 30) == 0) {
      return (size >>> 30) + "G";
    }
    if (size >= (1L << 20) && size % (1L << 20) == 0) {
      return (size >>> 20) + "M";
    }
    return (size >>> 10) + "K";
  }
}
