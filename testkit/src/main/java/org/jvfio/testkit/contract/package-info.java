/**
 * Contract suites in the style of guava-testlib: abstract JUnit 5 classes that a module's test
 * extends with its implementation, inheriting every property a correct one must satisfy, gated by
 * the features it declares. {@link org.jvfio.testkit.contract.IommuDomainContract} for IOMMU vendor
 * formats, {@link org.jvfio.testkit.contract.VfioDeviceContract} for VFIO variant drivers.
 */
package org.jvfio.testkit.contract;
