package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.jvfio.core.iommufd.UserFile;

/**
 * {@link MemFds} never throws from {@link MemFds#lookup} (the {@code UserFiles} contract, which
 * {@code IOMMU_IOAS_MAP_FILE} calls inside the ioctl): each file it creates has an unmapped address
 * space of its own, so it creates at most 2048 files and refuses the next at creation.
 */
class MemFdsTest {

  @Test
  void lookup_lastOf2048UnmappedFiles_getsItsOwnAddresses_the2049thIsRefusedAtCreation() {
    MemFds files = new MemFds(new UserMemory());
    int fd = 0;
    for (int i = 0; i < 2048; i++) {
      fd = i % 2 == 0 ? files.memfdCreate(4096) : files.openRegular(4096);
    }
    UserFile last = files.lookup(fd, 4096 + 5, 1);
    assertEquals(UserFile.unmappedAddress(2047, 4096 + 5), last.userVa());
    assertFalse(last.shmem());
    assertThrows(IllegalStateException.class, () -> files.memfdCreate(4096));
    assertThrows(IllegalStateException.class, () -> files.openRegular(4096));
  }
}
