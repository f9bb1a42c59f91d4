package org.jvfio.core.iommufd;

/**
 * One file of the calling process as {@code IOMMU_IOAS_MAP_FILE} sees it ({@link UserFiles}).
 *
 * @param shmem whether {@code memfd_pin_folios} can pin its pages: a memfd, shmem or hugetlbfs file
 *     ({@code shmem_file} or {@code is_file_hugepages}); other files fail the pin with {@code
 *     EINVAL}
 * @param size the file's size in bytes ({@code i_size}) when it is looked up; a pin of pages at or
 *     beyond it fails with {@code EINVAL}
 * @param userVa the identity address of the looked-up range's first byte: where the process maps it
 *     shared, or {@link #unmappedAddress} if it does not
 */
public record UserFile(boolean shmem, long size, long userVa) {
  /** Where unmapped file ranges get their addresses: just above the 47-bit user half. */
  public static final long UNMAPPED_BASE = 1L << 47;

  /** The address space each unmapped file gets there: 64 GiB. */
  public static final long UNMAPPED_SPAN = 1L << 36;

  /**
   * Returns the identity address of byte {@code start} of the {@code serial}-th file a process maps
   * without a shared mapping of the range: {@link #UNMAPPED_BASE} {@code + serial *} {@link
   * #UNMAPPED_SPAN} {@code + start}. Such pages are not user memory: DMA reaches them, a user
   * pointer does not.
   *
   * @param serial the file's number among such files, from 0, below 2048
   * @param start the byte offset in the file, below {@link #UNMAPPED_SPAN}
   * @return the address
   * @throws IllegalArgumentException if {@code serial} or {@code start} is out of range
   */
  public static long unmappedAddress(int serial, long start) {
    if (serial < 0 || serial >= 2048 || start < 0 || start >= UNMAPPED_SPAN) {
      throw new IllegalArgumentException("file " + serial + " offset " + start);
    }
    return UNMAPPED_BASE + serial * UNMAPPED_SPAN + start;
  }
}
