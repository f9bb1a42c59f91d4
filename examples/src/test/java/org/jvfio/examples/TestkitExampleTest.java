package org.jvfio.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.VfioDevice;
import org.jvfio.core.vfio.VfioDeviceDriver;
import org.jvfio.testkit.Property;
import org.jvfio.testkit.gen.DmaLoggingGens;

/** The README's testkit example, as a JUnit 5 test. */
class TestkitExampleTest {
  @Test
  void invalidStarts_refusedWithTheExpectedErrno() {
    // The device under test: core's VFIO device with an exact DMA-logging tracker.
    VfioDevice device =
        VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.of(DmaTracker.exact())));
    Property.check(
        "core refuses invalid STARTs",
        DmaLoggingGens.invalidStarts(),
        c ->
            assertEquals(
                c.expected().orElseThrow(),
                assertThrows(UapiException.class, () -> device.startDmaLogging(c.control()))
                    .errno()));
  }
}
