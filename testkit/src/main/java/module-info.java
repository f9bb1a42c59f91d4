/**
 * Test support for jvfio and its users: engine-neutral generators with integrated shrinking, a
 * small property runner for JUnit 5, fakes, oracles and contract suites.
 */
module org.jvfio.testkit {
  requires transitive org.jvfio.core;
  requires transitive org.junit.jupiter.api;

  exports org.jvfio.testkit;
  exports org.jvfio.testkit.gen;
  exports org.jvfio.testkit.oracle;
  exports org.jvfio.testkit.fake;
  exports org.jvfio.testkit.contract;
}
