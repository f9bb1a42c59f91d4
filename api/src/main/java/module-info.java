/**
 * The uAPI "headers" of jvfio: constants, errno values and one byte-exact record per C struct of
 * {@code include/uapi/linux/vfio.h} and {@code include/uapi/linux/iommufd.h} that the VFIO
 * live-migration and iommufd dirty-tracking surface uses. No dependencies.
 */
module org.jvfio.api {
  exports org.jvfio.api;
  exports org.jvfio.api.vfio;
  exports org.jvfio.api.iommufd;
}
