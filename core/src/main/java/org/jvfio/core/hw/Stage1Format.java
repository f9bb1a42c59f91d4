package org.jvfio.core.hw;

/**
 * Which stage 1 the devices of a nested domain translate through: a guest's table in a vendor's
 * page-table format, walked by the page-table engine's nested walk (a VT-d first stage on the
 * x86-64 format, an SMMUv3 context descriptor with LPAE stage-1 tables; the vendor's nest parent
 * names the format), or one of the two SMMUv3 stream table entry configurations without a table:
 * {@link #bypass} and {@link #abort}. An opaque handle that {@link NestedTranslator} walks.
 */
public abstract class Stage1Format {
  private static final Stage1Format BYPASS = new Fixed("bypass");
  private static final Stage1Format ABORT = new Fixed("abort");

  /** For the page-table engine's nested walk, the one subclass with a table. */
  protected Stage1Format() {}

  /**
   * Returns the SMMUv3 bypass configuration (STE Cfg = bypass): stage 1 is the identity, the device
   * translates as the parent.
   *
   * @return the bypass configuration
   */
  public static Stage1Format bypass() {
    return BYPASS;
  }

  /**
   * Returns the SMMUv3 abort configuration (STE Cfg = abort, or a vSTE without V): every access
   * faults at stage 1.
   *
   * @return the abort configuration
   */
  public static Stage1Format abort() {
    return ABORT;
  }

  /**
   * Returns whether this configuration walks a guest table (neither bypass nor abort).
   *
   * @return true for a table walk
   */
  public final boolean walksTable() {
    return !(this instanceof Fixed);
  }

  /** Bypass and abort. */
  private static final class Fixed extends Stage1Format {
    private final String name;

    Fixed(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
