package org.jvfio.bridge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.IoPageFault;
import org.jvfio.core.kernel.FakeKernel;

/*
 * The server's console: drives the guest's hardware while a program runs, one command a line, from
 * stdin or a script file.
 *
 *   dmaWrite DEV IOVA LENGTH   device DEV writes [IOVA, IOVA+LENGTH) by DMA (numbers: decimal or 0x)
 *   dmaRead DEV IOVA LENGTH    device DEV reads it
 *   faults DEV                 prints the IO page faults of device DEV
 *   sleep MS                   waits (scripts pace their DMA against the program this way)
 *   # ...                      a comment
 *
 * A bad line prints an error and the console goes on.
 */
final class Console {
  private final FakeKernel kernel;
  private final PrintStream out;

  Console(FakeKernel kernel, PrintStream out) {
    this.kernel = kernel;
    this.out = out;
  }

  void run(BufferedReader in) throws IOException {
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String cmd = line.strip();
      if (cmd.isEmpty() || cmd.startsWith("#")) {
        continue;
      }
      try {
        execute(cmd.split("\\s+"));
      } catch (RuntimeException e) {
        out.println("jvfio-kernel: " + cmd + ": " + e.getMessage());
      }
    }
  }

  private void execute(String[] w) {
    switch (w[0]) {
      case "dmaWrite":
        print("dmaWrite", kernel.dmaWrite(dev(w, 3), num(w[2]), num(w[3])));
        break;
      case "dmaRead":
        print("dmaRead", kernel.dmaRead(dev(w, 3), num(w[2]), num(w[3])));
        break;
      case "faults":
        for (IoPageFault f : kernel.ioPageFaults(dev(w, 1))) {
          out.println(f);
        }
        break;
      case "sleep":
        try {
          Thread.sleep(num(w[1]));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        break;
      default:
        throw new IllegalArgumentException("unknown command (dmaWrite, dmaRead, faults, sleep)");
    }
  }

  private void print(String what, DmaResult r) {
    out.println(what + ": " + r.bytes() + " bytes, " + r.faults() + " faults");
  }

  private int dev(String[] w, int argc) {
    if (w.length != argc + 1) {
      throw new IllegalArgumentException("expected " + argc + " arguments");
    }
    int index = Integer.parseInt(w[1]);
    if (index < 0 || index >= kernel.deviceCount()) {
      throw new IllegalArgumentException("no device " + index);
    }
    return index;
  }

  private static long num(String s) {
    return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
  }
}
