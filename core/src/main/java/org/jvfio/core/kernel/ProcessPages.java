package org.jvfio.core.kernel;

import org.jvfio.core.iommufd.UserMm;
import org.jvfio.core.iommufd.UserPages;

/*
 * The iommufd contexts' view of the calling process's memory: pin_user_pages in the caller's
 * address space, and the caller's address space as current->mm, which a map keeps as its pages'
 * source_mm (UserAddressSpace#currentProcess).
 */
record ProcessPages(UserAddressSpace memory) implements UserPages {
  @Override
  public boolean canPin(long userVa, long length, boolean write) {
    return memory.canPin(userVa, length, write);
  }

  @Override
  public UserMm currentMm() {
    return memory.currentProcess();
  }
}
