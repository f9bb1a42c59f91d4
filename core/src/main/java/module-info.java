/**
 * The jvfio models: typed uAPI records, the VFIO device (feature ioctl, migration, DMA logging),
 * the iommufd context (IOAS, HWPT, dirty tracking), the iova bitmap, the hardware model (page-table
 * memory, IOTLB, DMA engine, guest memory), the vendor SPI with a mock domain, and the
 * syscall-shaped {@code FakeKernel}.
 */
module org.jvfio.core {
  requires transitive org.jvfio.api;
  requires com.google.common;

  exports org.jvfio.core;
  exports org.jvfio.core.vfio;
  exports org.jvfio.core.vfio.pci;
  exports org.jvfio.core.bitmap;
  exports org.jvfio.core.hw;
  exports org.jvfio.core.spi;
  exports org.jvfio.core.kernel;
  exports org.jvfio.core.iommufd;
  exports org.jvfio.core.container;
  exports org.jvfio.core.pt to
      org.jvfio.iommu.amd,
      org.jvfio.iommu.intel,
      org.jvfio.iommu.smmuv3,
      org.jvfio.testkit;
  exports org.jvfio.core.nesting;

  uses org.jvfio.core.spi.IommuDriver;

  provides org.jvfio.core.spi.IommuDriver with
      org.jvfio.core.spi.MockIommuDriver;
}
