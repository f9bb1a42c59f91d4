package org.jvfio.core.iommufd;

/**
 * How an iommufd context pins user memory that is not guest memory: the question {@code
 * pin_user_pages} answers for {@code iopt_pages} ({@code drivers/iommu/iommufd/pages.c}), whether
 * every page of a user range is mapped, and writable when the pin is {@code FOLL_WRITE} (an {@code
 * IOMMU_IOAS_MAP_WRITEABLE} map).
 *
 * <p>A page that can be pinned is pinned at its user address (pinning is the identity, as for guest
 * memory): its DMA lands in the context's {@link org.jvfio.core.hw.HostMemory}. A context asks only
 * for pages that are not pinned already: pages an area of the same map holds in a domain stay
 * pinned after the process unmaps them, as the kernel's pinned pages do.
 *
 * <p>Every pin of a map's pages after the call that made it goes through the mm of the process that
 * made it ({@link #currentMm}, kept as the pages' {@link UserMm}).
 *
 * <p>Implementations must be thread-safe and must not throw for any range.
 */
@FunctionalInterface
public interface UserPages {
  /** No user memory besides the guest memories: nothing else can be pinned ({@code EFAULT}). */
  UserPages NONE = (userVa, length, write) -> false;

  /**
   * Returns whether every page of {@code [userVa, userVa + length)} could be pinned.
   *
   * @param userVa the first user address
   * @param length the bytes, positive (the range does not wrap)
   * @param write whether the pin is for writing ({@code FOLL_WRITE}): read-only pages fail it
   * @return whether {@code pin_user_pages} would pin the whole range
   */
  boolean canPin(long userVa, long length, boolean write);

  /**
   * Returns the address space of the process making the current call ({@code current->mm}), which
   * an {@code IOMMU_IOAS_MAP} keeps as its pages' {@code source_mm}. The default is one process
   * that never exits, pins as {@link #canPin} does, and whose bytes no access can reach ({@code
   * EFAULT}): a context over this {@code UserPages} alone serves one process, whose bytes its
   * accesses move through the caller's {@link org.jvfio.core.vfio.UserAccess}.
   *
   * @return the current process's mm; equal for calls of the same process
   */
  default UserMm currentMm() {
    return new OneProcess(this);
  }
}
