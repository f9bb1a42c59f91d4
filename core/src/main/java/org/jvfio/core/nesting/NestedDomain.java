package org.jvfio.core.nesting;

import org.jvfio.core.hw.NestedTranslator;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * An {@code IOMMU_DOMAIN_NESTED} domain: a guest's stage-1 configuration on top of a nest parent
 * (stage 2), as a vendor driver builds it from user data. Its hardware is a {@link
 * NestedTranslator}.
 */
public abstract sealed class NestedDomain
    permits VtdNestedDomain, SmmuV3NestedDomain, MockNestedDomain {
  private final NestedTranslator translator;

  NestedDomain(NestedTranslator translator) {
    this.translator = translator;
  }

  /**
   * Returns the two-stage translation of the devices attached to this domain.
   *
   * @return the domain's translator, created with the domain
   */
  public final NestedTranslator translator() {
    return translator;
  }

  /**
   * Returns the nest parent (stage 2).
   *
   * @return the nest-parent domain, {@link NestedTranslator#parent} of the translator
   */
  public final IommuDomain parent() {
    return translator.parent();
  }

  /**
   * The domain's {@code cache_invalidate_user} op for {@code IOMMU_HWPT_INVALIDATE} on a nested
   * HWPT id.
   *
   * @param array the request array of {@code IOMMU_HWPT_INVALIDATE}
   * @return the requests handled and the error, if any ({@code EOPNOTSUPP} with 0 handled for a
   *     vendor whose nested domains have no such op)
   */
  public abstract HwptInvalidateResult invalidateUser(UserDataArray array);

  /** Returns the vendor family of a driver: its name up to the first {@code '-'}. */
  static String family(IommuDriver driver) {
    String n = driver.name();
    int dash = n.indexOf('-');
    return dash < 0 ? n : n.substring(0, dash);
  }

  /**
   * Returns whether devices behind {@code driver} get nested domains from a nest-parent HWPT
   * ({@code domain_alloc_nested}): Intel VT-d ({@link VtdNestedDomain}) and the iommufd selftest's
   * mock ({@link MockNestedDomain}, a {@link MockIommuDriver#createSelftest} instance). SMMUv3
   * builds them from a vIOMMU instead; AMD and jvfio's other mock IOMMUs have neither.
   *
   * @param driver an IOMMU driver
   * @return true if the driver's family is {@code "intel"} or it is a selftest mock
   */
  public static boolean allocatesFromParent(IommuDriver driver) {
    return family(driver).equals("intel") || isSelftestMock(driver);
  }

  /**
   * Returns whether {@code driver} is the iommufd selftest's mock IOMMU, whose nested domains are
   * {@link MockNestedDomain}s.
   *
   * @param driver an IOMMU driver
   * @return true for a {@link MockIommuDriver#createSelftest} instance
   */
  public static boolean isSelftestMock(IommuDriver driver) {
    return driver instanceof MockIommuDriver && ((MockIommuDriver) driver).isSelftest();
  }

  /**
   * Returns whether devices behind {@code driver} support {@code IOMMU_VIOMMU_TYPE_ARM_SMMUV3}
   * ({@code get_viommu_size}, {@code viommu_init}): Arm SMMUv3.
   *
   * @param driver an IOMMU driver
   * @return true if the driver's family is {@code "smmuv3"}
   */
  public static boolean supportsVsmmu(IommuDriver driver) {
    return family(driver).equals("smmuv3");
  }

  /**
   * Returns whether two drivers share the kernel's IOMMU ops (the same vendor family).
   *
   * @param a an IOMMU driver
   * @param b another IOMMU driver
   * @return true if their names agree up to the first {@code '-'}
   */
  public static boolean sameOps(IommuDriver a, IommuDriver b) {
    return family(a).equals(family(b));
  }
}
