/** The hardware model: page-table memory, the IOTLB, the DMA engine and guest memory. */
package org.jvfio.core.hw;
