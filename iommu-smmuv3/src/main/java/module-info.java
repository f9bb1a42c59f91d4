/**
 * The Arm SMMUv3 vendor model: VMSAv8-64 LPAE IO page tables at the 4 KiB, 16 KiB and 64 KiB
 * granules, stage 1 with HTTU dirty tracking (DBM + AP[2]) and stage 2 (architecture-only dirty
 * helpers), registered with the core SPI as {@code "smmuv3"}
 */
module org.jvfio.iommu.smmuv3 {
  requires org.jvfio.core;

  exports org.jvfio.iommu.smmuv3;

  provides org.jvfio.core.spi.IommuDriver with
      org.jvfio.iommu.smmuv3.SmmuV3Driver;
}
