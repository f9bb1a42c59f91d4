/**
 * The jvfio pre-copy live-migration simulator and its command line: a migration engine on a
 * simulated clock built on the jvfio models (guest memory, iommufd dirty tracking, VFIO devices
 * with DMA logging and migration streams), with an end-to-end verification of every run.
 */
@SuppressWarnings("requires-automatic") // XChart has no module descriptor, only a module name
module org.jvfio.sim {
  requires org.jvfio.core;
  requires com.google.common;
  requires info.picocli;
  requires org.knowm.xchart;
  requires java.desktop;

  exports org.jvfio.sim;

  opens org.jvfio.sim to
      info.picocli;
}
