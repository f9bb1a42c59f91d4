/**
 * The AMD-Vi v1 ("host") IO page table model: bit-exact PDEs and PTEs in a {@code PageTableMemory},
 * the device table entry's HAD field, hardware A/D updates, read-and-clear of dirty leaves, split
 * and collapse (AMD IOMMU specification, "I/O Page Tables for Host Translations"). Registered with
 * {@link java.util.ServiceLoader} as {@code amd-v1}.
 */
module org.jvfio.iommu.amd {
  requires transitive org.jvfio.core;

  exports org.jvfio.iommu.amd;

  provides org.jvfio.core.spi.IommuDriver with
      org.jvfio.iommu.amd.AmdV1Driver;
}
