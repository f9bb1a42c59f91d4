/** The jvfio pre-copy live-migration simulator and its command line. */
module org.jvfio.sim {
  requires org.jvfio.core;

  exports org.jvfio.sim;
}
