/**
 * The README's examples, compiled as a user's module that requires only the AMD IOMMU model: core's
 * SPI, the iommufd and VFIO models and the uAPI records must all be readable through {@code
 * requires transitive}.
 */
module org.jvfio.examples {
  requires org.jvfio.iommu.amd;
}
