package org.jvfio.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {
  @ParameterizedTest
  @CsvSource({
    "4096, 4096",
    "4K, 4096",
    "4KiB, 4096",
    "2M, 2097152",
    "16G, 17179869184",
    "16 GiB, 17179869184",
    "1.5G, 1610612736",
    "1T, 1099511627776",
    "64gb, 68719476736"
  })
  void parseSize_examples(String text, long bytes) {
    assertEquals(bytes, Units.parseSize(text));
  }

  @ParameterizedTest
  @CsvSource({
    "2GB/s, 2e9",
    "2GiB/s, 2147483648",
    "25Gbit/s, 3.125e9",
    "25Gb/s, 3.125e9",
    "100Mbit/s, 12.5e6",
    "500MiB/s, 524288000",
    "1000B/s, 1000"
  })
  void parseRate_examples(String text, double bytesPerSecond) {
    assertEquals(bytesPerSecond, Units.parseRate(text), 1e-6);
  }

  @ParameterizedTest
  @CsvSource({"300ms, 300000000", "2s, 2000000000", "50us, 50000", "1min, 60000000000"})
  void parseDuration_examples(String text, long nanos) {
    assertEquals(nanos, Units.parseDuration(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "G", "-1G", "16X", "1e3", "99999999999P"})
  void parseSize_rejectsNonsense(String text) {
    assertThrows(IllegalArgumentException.class, () -> Units.parseSize(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"2GB", "fast", "2G/s/s"})
  void parseRate_rejectsNonsense(String text) {
    assertThrows(IllegalArgumentException.class, () -> Units.parseRate(text));
  }

  @org.junit.jupiter.api.Test
  void format_examples() {
    assertEquals("1.50 GiB", Units.formatSize(1.5 * (1 << 30)));
    assertEquals("512 B", Units.formatSize(512));
    assertEquals("12.3 ms", Units.formatDuration(12.3e6));
    assertEquals("2.00 s", Units.formatDuration(2e9));
  }
}
