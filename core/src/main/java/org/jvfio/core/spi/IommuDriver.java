package org.jvfio.core.spi;

import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.nesting.UserData;

/**
 * An IOMMU vendor model: its name, what it can do, the page sizes its tables support, and domain
 * allocation (docs/architecture.md, "The front doors"). One instance stands for one IOMMU unit; the
 * devices behind it share its capabilities.
 *
 * <p>Vendors register an implementation with {@link ServiceLoader} ({@code provides
 * org.jvfio.core.spi.IommuDriver with ...} in their {@code module-info}, and {@code
 * META-INF/services} for the class path); {@link #named(String)} finds one. A service
 * implementation needs a public no-argument constructor giving the vendor's default configuration;
 * vendors offer factories for other configurations (capabilities off, other granules).
 */
public interface IommuDriver {
  /**
   * Returns the registered name, e.g. {@code "amd-v1"}, {@code "intel-ss"}, {@code "smmuv3"}.
   *
   * @return the name {@link #named} finds this driver by, e.g. {@code "amd-v1"}
   */
  String name();

  /**
   * Returns what this IOMMU instance can do.
   *
   * @return this instance's capabilities
   */
  Set<IommuCapability> capabilities();

  /**
   * Returns the supported leaf sizes as a bitmap (bit {@code n} set: leaves of {@code 2^n} bytes),
   * as {@code iommu_domain.pgsize_bitmap}.
   *
   * @return bit {@code n} set when leaves of {@code 2^n} bytes can be mapped
   */
  long pageSizeBitmap();

  /**
   * Allocates an empty paging domain, as the driver's {@code domain_alloc_paging_flags}.
   *
   * @param config dirty tracking and nest-parent flags of the allocation
   * @return a new domain with no mappings
   * @throws UapiException {@code EOPNOTSUPP} if {@code config} asks for dirty tracking and this
   *     IOMMU lacks {@link IommuCapability#DIRTY_TRACKING}, or for another flag it cannot honour
   */
  IommuDomain allocateDomain(DomainConfig config);

  /**
   * Allocates an empty paging domain described by driver data, as the driver's {@code
   * domain_alloc_paging_flags} with a {@code user_data} ({@code IOMMU_HWPT_ALLOC} on an IOAS with a
   * {@code data_type} other than {@code IOMMU_HWPT_DATA_NONE}). The default refuses any data, as
   * the kernel's drivers other than the selftest's mock do.
   *
   * @param config dirty tracking and nest-parent flags of the allocation
   * @param data the {@code data_type}, {@code data_len} and bytes of the driver data
   * @return a new domain with no mappings
   * @throws UapiException {@code EOPNOTSUPP} by default; a driver that reads data throws the errnos
   *     of its checks
   */
  default IommuDomain allocateDomain(DomainConfig config, UserData data) {
    throw new UapiException(Errno.EOPNOTSUPP, name() + " takes no HWPT data");
  }

  /**
   * Returns whether this IOMMU can track dirty IOVA ({@code IOMMU_CAP_DIRTY_TRACKING}).
   *
   * @return true if {@link #capabilities()} contains {@link IommuCapability#DIRTY_TRACKING}
   */
  default boolean canTrackDirty() {
    return capabilities().contains(IommuCapability.DIRTY_TRACKING);
  }

  /**
   * Returns the registered driver called {@code name}, in its default configuration.
   *
   * @param name the registered name, e.g. {@code "amd-v1"}
   * @return a new instance of that driver
   * @throws UapiException {@code ENODEV} if no registered driver has that name
   */
  static IommuDriver named(String name) {
    for (IommuDriver d : available()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    throw new UapiException(
        Errno.ENODEV,
        "no IOMMU driver named '"
            + name
            + "'; available: "
            + available().stream().map(IommuDriver::name).collect(Collectors.joining(", ")));
  }

  /**
   * Returns every driver registered with {@link ServiceLoader}, in their default configuration.
   *
   * @return one new instance of every registered driver
   */
  static List<IommuDriver> available() {
    return ServiceLoader.load(IommuDriver.class).stream()
        .map(ServiceLoader.Provider::get)
        .collect(Collectors.toUnmodifiableList());
  }
}
