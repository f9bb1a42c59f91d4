package org.jvfio.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Finds and runs the native tools and programs of the C and Rust client tests. */
final class Programs {
  private Programs() {}

  /** The first of {@code candidates} that runs {@code --version} successfully, or null. */
  static String find(String... candidates) {
    for (String c : candidates) {
      try {
        Process p = new ProcessBuilder(c, "--version").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return c;
        }
      } catch (IOException e) {
        // not installed
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return null;
  }

  /** Runs {@code command} with {@code env} added; asserts that it exits 0; returns its output. */
  static String run(List<String> command, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + command);
    assertEquals(0, p.exitValue(), command + " failed:\n" + out);
    return out;
  }
}
