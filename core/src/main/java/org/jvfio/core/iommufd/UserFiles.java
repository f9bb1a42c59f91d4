package org.jvfio.core.iommufd;

/**
 * How an iommufd context finds the file behind an fd of the calling process, for {@code
 * IOMMU_IOAS_MAP_FILE}: the {@code fget} of {@code iopt_map_file_pages} and what {@code
 * memfd_pin_folios} later needs to know of the file ({@code drivers/iommu/iommufd/io_pagetable.c},
 * {@code mm/gup.c}).
 *
 * <p>Page identity: pinning is the identity in jvfio (a page's physical address is its user
 * address), so a file page needs an address too. The answer's {@link UserFile#userVa()} is the
 * address of the range's first byte in a {@code MAP_SHARED} mapping of the file that covers the
 * whole range, so that a file map and an {@code IOMMU_IOAS_MAP} of that mapping reach the same
 * pages ({@code IOMMU_TEST_OP_MD_CHECK_MAP}, {@code IOMMU_IOAS_COPY}, DMA and dirty bits). A range
 * the process does not map gets an address from {@link UserFile#unmappedAddress}, above the user
 * half of the address space, that no user pointer reaches.
 *
 * <p>Implementations must be thread-safe and must not throw.
 */
@FunctionalInterface
public interface UserFiles {
  /** A process whose fds hold no file: every lookup is {@code EBADF}. */
  UserFiles NONE = (fd, start, length) -> null;

  /**
   * Returns what the kernel learns of the file open as {@code fd} for mapping {@code [start, start
   * + length)}, or null if {@code fd} is not an open file ({@code EBADF}).
   *
   * @param fd the caller's file descriptor
   * @param start the first byte offset in the file
   * @param length the bytes, positive ({@code start + length - 1} does not wrap)
   * @return the file's facts, or null for {@code EBADF}
   */
  UserFile lookup(int fd, long start, long length);
}
