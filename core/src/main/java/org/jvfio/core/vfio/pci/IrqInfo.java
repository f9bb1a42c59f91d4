package org.jvfio.core.vfio.pci;

/**
 * The answer of {@code VFIO_DEVICE_GET_IRQ_INFO}: {@code struct vfio_irq_info} without {@code
 * argsz}.
 *
 * @param index the IRQ index
 * @param flags {@code VFIO_IRQ_INFO_*}
 * @param count the number of vectors
 */
public record IrqInfo(int index, int flags, int count) {}
