package org.jvfio.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The committed {@code jvfio_uapi.h} is what {@link UapiHeader} generates from the api records. */
class UapiHeaderTest {
  static final Path HEADER = Path.of("src/main/c/jvfio_uapi.h");

  @Test
  void committedHeader_isUpToDate() throws IOException {
    assertEquals(
        UapiHeader.render(),
        Files.readString(HEADER, StandardCharsets.UTF_8),
        "jvfio_uapi.h is stale: run bridge/src/test/c/regenerate-header.sh");
  }

  @Test
  void committedRustModule_isUpToDate() throws IOException {
    assertEquals(
        UapiRust.render(),
        Files.readString(Path.of("src/test/rust/src/uapi.rs"), StandardCharsets.UTF_8),
        "uapi.rs is stale: run bridge/src/test/c/regenerate-header.sh");
  }

  @Test
  void rustModule_hasTheMeasuredLayoutAndItsChecks() {
    String rs = UapiRust.render();
    assertTrue(rs.contains("pub struct iommu_hwpt_get_dirty_bitmap {\n    pub size: u32,\n"));
    assertTrue(
        rs.contains("const _: () = assert!(size_of::<iommu_hwpt_get_dirty_bitmap>() == 48);"));
    assertTrue(
        rs.contains("const _: () = assert!(offset_of!(iommu_hwpt_get_dirty_bitmap, data) == 40);"));
    assertTrue(rs.contains("    pub __reserved: [u8; 3],\n    pub out_capabilities: u64,"));
    assertTrue(rs.contains("    pub bitmap: vfio_bitmap,"));
    assertTrue(rs.contains("pub const IOMMU_HWPT_GET_DIRTY_BITMAP: u32 = 0x3b8c;"));
    assertTrue(rs.contains("pub const IOMMU_TEST_CMD_SIZE: u32 = 0x48;"));
  }

  @Test
  void layout_isMeasuredFromTheEncoding() {
    String h = UapiHeader.render();
    assertTrue(h.contains("_Static_assert(sizeof(struct iommu_hwpt_get_dirty_bitmap) == 48"));
    assertTrue(
        h.contains("_Static_assert(offsetof(struct iommu_hwpt_get_dirty_bitmap, data) == 40"));
    assertTrue(h.contains("\t__u8 __reserved[3];\n\t__aligned_u64 out_capabilities;"));
    assertTrue(h.contains("\tstruct vfio_bitmap bitmap;"));
    assertTrue(
        h.indexOf("struct vfio_bitmap {")
            < h.indexOf("struct vfio_iommu_type1_dirty_bitmap_get {"));
    assertTrue(h.contains("#define IOMMU_HWPT_GET_DIRTY_BITMAP 0x3b8cU"));
  }

  @Test
  void snake_followsTheKernelsNames() {
    assertEquals("vfio_iommu_type1_dirty_bitmap", UapiHeader.snake("VfioIommuType1DirtyBitmap"));
    assertEquals("pgsize_bitmap", UapiHeader.snake("pgsizeBitmap"));
  }
}
