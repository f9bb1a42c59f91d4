/**
 * The VFIO device model: VFIO_DEVICE_FEATURE, migration protocol v2 (states, FSM, data streams) and
 * device DMA logging.
 */
package org.jvfio.core.vfio;
