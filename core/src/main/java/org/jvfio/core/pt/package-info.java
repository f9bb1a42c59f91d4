/**
 * The page-table engine: one algorithm ({@link org.jvfio.core.pt.PageTable}) over formats that are
 * data ({@link org.jvfio.core.pt.PtFormat}), as Linux's generic page table ({@code
 * drivers/iommu/generic_pt/}). A vendor domain extends {@link org.jvfio.core.pt.PtDomain} and keeps
 * only its format, device context and quirks. Exported only to the vendor modules and the testkit.
 */
package org.jvfio.core.pt;
