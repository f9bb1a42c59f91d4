/**
 * Intel VT-d IO page tables for jvfio: the second-stage table with hardware access/dirty updates
 * (SSADE in the scalable-mode PASID entry), the first-stage x86-64 table (no dirty tracking), and
 * the PASID-table entry the driver programs (Intel VT-d specification, chapter 9 "Translation
 * Structure Formats").
 *
 * <p>Registers two {@link org.jvfio.core.spi.IommuDriver}s: {@code "intel-ss"} ({@link
 * org.jvfio.iommu.intel.IntelSsDriver}) and {@code "intel-fs"} ({@link
 * org.jvfio.iommu.intel.IntelFsDriver}).
 */
module org.jvfio.iommu.intel {
  requires transitive org.jvfio.core;

  exports org.jvfio.iommu.intel;

  provides org.jvfio.core.spi.IommuDriver with
      org.jvfio.iommu.intel.IntelSsDriver,
      org.jvfio.iommu.intel.IntelFsDriver;
}
