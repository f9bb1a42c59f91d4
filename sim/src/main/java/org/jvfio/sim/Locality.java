package org.jvfio.sim;

/** Where a device's DMA writes land inside its working set. */
public enum Locality {
  /** Every page of the working set is equally likely. */
  UNIFORM,
  /** 90 % of the writes go to a hot tenth of the working set, the rest anywhere in it. */
  HOT,
  /** Writes walk the working set page after page and wrap around, as a ring buffer's producer. */
  SEQUENTIAL
}
