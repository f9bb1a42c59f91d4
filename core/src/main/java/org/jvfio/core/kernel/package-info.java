/**
 * The syscall-shaped facade (docs/architecture.md, "The front doors"): {@link
 * org.jvfio.core.kernel.FakeKernel}, an fd table with {@code open}, {@code close}, {@code ioctl},
 * {@code read} and {@code write} over {@code /dev/iommu}, the VFIO device cdevs and migration data
 * fds, with byte-exact structs in {@link org.jvfio.core.kernel.UserMemory} and hardware hooks for
 * device DMA.
 */
package org.jvfio.core.kernel;
