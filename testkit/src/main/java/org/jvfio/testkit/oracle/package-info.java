/**
 * Oracles: reference models that say what a correct implementation must leave or report. {@link
 * org.jvfio.testkit.oracle.ReferencePageTable} is what map, unmap, split and collapse should leave
 * in an IO page table; {@link org.jvfio.testkit.oracle.ReferenceDirtyModel} is what a dirty tracker
 * (a page table's dirty bits or a device's DMA log) must report: everything written since its last
 * clearing harvest, in its units.
 */
package org.jvfio.testkit.oracle;
