/**
 * Fakes: a configurable VFIO variant driver ({@link org.jvfio.testkit.fake.FakeVfioDeviceDriver})
 * and a guest that drives DMA workloads through the IOMMU ({@link
 * org.jvfio.testkit.fake.FakeGuest}), each with a {@code checkInvariants()} the contract suites
 * call after every step.
 */
package org.jvfio.testkit.fake;
