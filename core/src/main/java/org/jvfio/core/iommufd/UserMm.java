package org.jvfio.core.iommufd;

import org.jvfio.core.vfio.UserAccess;

/**
 * The address space of one process ({@code struct mm_struct}) as iommufd reaches it after the call
 * that named it: the {@code source_mm} of {@code struct iopt_pages} ({@code
 * drivers/iommu/iommufd/pages.c}). An {@code IOMMU_IOAS_MAP} keeps the mm of the process that made
 * it ({@link UserPages#currentMm}), and the areas it makes (and the copies {@code IOMMU_IOAS_COPY}
 * makes of them) pin their pages through that mm whenever they are pinned later: when a domain is
 * added to the IOAS ({@code iopt_area_fill_domains}), when an access pins them ({@code
 * iopt_pages_fill_xarray}), and when an access reads or writes pages nothing holds pinned ({@code
 * iopt_pages_rw_access}). Once the process has exited ({@link #isLive} false, {@code
 * mmget_not_zero} fails) that is {@code EFAULT}; pages a domain or an access already holds pinned
 * stay reachable.
 *
 * <p>Two {@code UserMm}s are the same mm when they are {@link Object#equals equal}. Implementations
 * must be thread-safe and must not throw for any range.
 */
public interface UserMm extends UserAccess {
  /**
   * Returns whether the process still has its address space: {@code mmget_not_zero(source_mm)}.
   *
   * @return false once the process has exited
   */
  boolean isLive();

  /**
   * Returns whether every page of {@code [userVa, userVa + length)} could be pinned in this mm, as
   * {@code pin_user_pages_remote} would find it.
   *
   * @param userVa the first user address
   * @param length the bytes, positive (the range does not wrap)
   * @param write whether the pin is for writing ({@code FOLL_WRITE}): read-only pages fail it
   * @return whether the whole range could be pinned
   */
  boolean canPin(long userVa, long length, boolean write);
}
