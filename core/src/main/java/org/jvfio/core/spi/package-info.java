/** What an IOMMU vendor module implements: an IommuDriver that allocates IommuDomains. */
package org.jvfio.core.spi;
