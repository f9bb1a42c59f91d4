package org.jvfio.sim;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints the quantities of the simulator's command line: sizes such as {@code 16G} or
 * {@code 4KiB} (binary multiples: K = 1024), byte rates such as {@code 2GB/s} or {@code 500MiB/s}
 * (decimal for SI prefixes, binary for IEC ones), bit rates such as {@code 25Gbit/s} (decimal, as
 * network links are specified), and durations such as {@code 300ms}.
 */
public final class Units {
  private Units() {}

  private static final Pattern SIZE =
      Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([kmgtp]?)(i?b?)\\s*");
  private static final Pattern RATE =
      Pattern.compile(
          "(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([kmgtp]?)(i?)(b|bit|bits|byte|bytes)/s\\s*");
  private static final Pattern DURATION =
      Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(ns|us|ms|s|min)\\s*");

  /**
   * Parses a size in bytes: a number with an optional binary multiplier {@code K, M, G, T, P}
   * (powers of 1024, with or without {@code iB}/{@code B}), e.g. {@code 16G}, {@code 2MiB}, {@code
   * 4096}.
   *
   * @param text the size as written
   * @return the size in bytes
   * @throws IllegalArgumentException if the text is not a size or does not fit in a long
   */
  public static long parseSize(String text) {
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a size: '" + text + "' (e.g. 4K, 2M, 16G, 1T)");
    }
    double value = Double.parseDouble(m.group(1)) * Math.pow(1024, exponent(m.group(2)));
    return toLong(value, text);
  }

  /**
   * Parses a rate in bytes per second: {@code 2GB/s} (decimal, 2·10^9), {@code 2GiB/s} (binary),
   * {@code 25Gbit/s} or {@code 25Gb/s} (bits, decimal: 3.125·10^9 bytes/s).
   *
   * @param text the rate as written
   * @return the rate in bytes per second
   * @throws IllegalArgumentException if the text is not a rate
   */
  public static double parseRate(String text) {
    Matcher m = RATE.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a rate: '" + text + "' (e.g. 2GB/s, 500MiB/s, 25Gbit/s)");
    }
    boolean binary = !m.group(3).isEmpty();
    String unit = m.group(4);
    boolean bits = unit.equals("b") || unit.toLowerCase(Locale.ROOT).startsWith("bit");
    double value =
        Double.parseDouble(m.group(1)) * Math.pow(binary ? 1024 : 1000, exponent(m.group(2)));
    return bits ? value / 8 : value;
  }

  /**
   * Parses a duration in nanoseconds: {@code 300ms}, {@code 2s}, {@code 50us}, {@code 1min}.
   *
   * @param text the duration as written
   * @return the duration in nanoseconds
   * @throws IllegalArgumentException if the text is not a duration
   */
  public static long parseDuration(String text) {
    Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (e.g. 300ms, 2s)");
    }
    double scale =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "ns" -> 1;
          case "us" -> 1e3;
          case "ms" -> 1e6;
          case "s" -> 1e9;
          default -> 60e9;
        };
    return toLong(Double.parseDouble(m.group(1)) * scale, text);
  }

  /**
   * Formats bytes with a binary unit, e.g. {@code 1.50 GiB}.
   *
   * @param bytes a size in bytes
   * @return the size with two decimals and a unit (none for bytes)
   */
  public static String formatSize(double bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (Math.abs(bytes) >= 1024 && u < units.length - 1) {
      bytes /= 1024;
      u++;
    }
    return u == 0
        ? String.format(Locale.ROOT, "%.0f %s", bytes, units[u])
        : String.format(Locale.ROOT, "%.2f %s", bytes, units[u]);
  }

  /**
   * Formats nanoseconds with a readable unit, e.g. {@code 12.3 ms}.
   *
   * @param nanos a duration in nanoseconds
   * @return the duration with a unit from ns to s
   */
  public static String formatDuration(double nanos) {
    if (nanos < 1e3) {
      return String.format(Locale.ROOT, "%.0f ns", nanos);
    } else if (nanos < 1e6) {
      return String.format(Locale.ROOT, "%.1f us", nanos / 1e3);
    } else if (nanos < 1e9) {
      return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
    return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }

  private static int exponent(String prefix) {
    return prefix.isEmpty() ? 0 : "KMGTP".indexOf(prefix.toUpperCase(Locale.ROOT)) + 1;
  }

  private static long toLong(double value, String text) {
    if (!(value >= 0 && value < 0x1p63)) {
      throw new IllegalArgumentException("out of range: '" + text + "'");
    }
    return Math.round(value);
  }
}
