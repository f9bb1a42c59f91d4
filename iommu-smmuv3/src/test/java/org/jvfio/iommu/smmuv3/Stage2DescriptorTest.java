package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The stage-2 dirty polarity is the inverse of stage 1; architecture-only. */
class Stage2DescriptorTest {
  private static final long CLEAN =
      0x4000_1000L | LpaeDescriptor.DBM | Stage2Descriptor.HAP_READ | LpaeDescriptor.AF | 3;

  @Test
  void dirty_isS2ap1SetWithDbm() {
    assertTrue(Stage2Descriptor.isWritableClean(CLEAN));
    assertFalse(Stage2Descriptor.isWritableDirty(CLEAN));
    long dirty = Stage2Descriptor.markDirty(CLEAN);
    assertEquals(CLEAN | (1L << 7), dirty);
    assertTrue(Stage2Descriptor.isWritableDirty(dirty));
    assertEquals(CLEAN, Stage2Descriptor.makeWritableClean(dirty));
    // the same bit read as stage 1 means the opposite
    assertTrue(LpaeDescriptor.isWritableDirty(CLEAN));
    assertFalse(LpaeDescriptor.isWritableDirty(dirty));
  }

  @Test
  void permitsWrite_needsS2apWriteOrDbmWithS2hd() {
    long ro = CLEAN & ~LpaeDescriptor.DBM;
    assertFalse(Stage2Descriptor.permitsWrite(ro, true));
    assertFalse(Stage2Descriptor.permitsWrite(CLEAN, false));
    assertTrue(Stage2Descriptor.permitsWrite(CLEAN, true));
    assertTrue(Stage2Descriptor.permitsWrite(ro | Stage2Descriptor.HAP_WRITE, false));
  }

  @Test
  void steBits_areDword2Bits53_55_56() {
    assertEquals(181 - 128, Long.numberOfTrailingZeros(Stage2Descriptor.STE_2_S2AFFD));
    assertEquals(183 - 128, Long.numberOfTrailingZeros(Stage2Descriptor.STE_2_S2HD));
    assertEquals(184 - 128, Long.numberOfTrailingZeros(Stage2Descriptor.STE_2_S2HA));
  }

  @Test
  void describe_showsS2apAndState() {
    assertEquals(
        "L3 page 0x0008000040001443 OA=0x40001000 MemAttr=0x0 SH=NS S2AP=-R AF DBM"
            + " writable-clean",
        Stage2Descriptor.describe(CLEAN, 3, Granule.G4K));
  }
}
