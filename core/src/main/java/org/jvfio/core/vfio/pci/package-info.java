/**
 * The regions of a vfio-pci device: {@code VFIO_DEVICE_GET_INFO}, {@code GET_REGION_INFO} with its
 * capability chain, {@code GET_IRQ_INFO}, region reads and writes at device-fd offsets, the mmap
 * checks, as {@code drivers/vfio/pci/vfio_pci_core.c} and {@code vfio_pci_rdwr.c} answer them.
 */
package org.jvfio.core.vfio.pci;
