/** Errno values shared by the VFIO and iommufd uAPI models. */
package org.jvfio.api;
