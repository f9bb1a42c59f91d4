/**
 * The iommufd model: the object table, IOAS, hardware page tables, dirty tracking and
 * GET_DIRTY_BITMAP.
 */
package org.jvfio.core.iommufd;
