package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.core.iommufd.UserFile.UNMAPPED_BASE;
import static org.jvfio.core.iommufd.UserFile.UNMAPPED_SPAN;

import org.junit.jupiter.api.Test;

/**
 * {@link UserFile#unmappedAddress}: the identity addresses of file pages no process maps (those of
 * {@code IOMMU_IOAS_MAP_FILE} of an unmapped memfd, which DMA reaches and no user pointer does).
 * Each file has its own 64 GiB above the 47-bit user half, so two files never share a page.
 */
class UserFileTest {

  @Test
  void unmappedAddress_fileAndOffset_table() {
    long[][] table = { // serial, start, address
      {0, 0, 1L << 47},
      {0, 4097, (1L << 47) + 4097},
      {1, 5, (1L << 47) + (1L << 36) + 5},
      {3, (1L << 36) - 1, (1L << 47) + 4 * (1L << 36) - 1},
      {2047, (1L << 36) - 1, (1L << 48) - 1},
    };
    for (long[] row : table) {
      assertEquals(
          row[2], UserFile.unmappedAddress((int) row[0], row[1]), () -> row[0] + "/" + row[1]);
    }
  }

  @Test
  void unmappedAddress_lastByteOfAFile_isJustBelowTheNextFilesFirst() {
    for (int serial = 0; serial < 2047; serial++) {
      assertEquals(
          UserFile.unmappedAddress(serial + 1, 0),
          UserFile.unmappedAddress(serial, UNMAPPED_SPAN - 1) + 1);
    }
    assertEquals(UNMAPPED_BASE, UserFile.unmappedAddress(0, 0));
  }

  @Test
  void unmappedAddress_outOfRange_illegalArgument() {
    int[] serials = {-1, 2048, 0, 0, Integer.MIN_VALUE, Integer.MAX_VALUE};
    long[] starts = {0, 0, -1, UNMAPPED_SPAN, 0, 0};
    for (int i = 0; i < serials.length; i++) {
      int serial = serials[i];
      long start = starts[i];
      assertThrows(IllegalArgumentException.class, () -> UserFile.unmappedAddress(serial, start));
    }
  }
}
