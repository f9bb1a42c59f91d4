package org.jvfio.sim;

import java.util.List;
import java.util.Locale;

/**
 * How the simulated migration learns which guest pages devices wrote.
 *
 * <p>Written as on the command line: {@code iommu} (the default IOMMU model) or {@code
 * iommu:<vendor>} for IOMMU HWPT dirty tracking ({@code IOMMU_HWPT_GET_DIRTY_BITMAP}, {@code
 * drivers/iommu/iommufd/hw_pagetable.c}) with a vendor registered with {@link
 * org.jvfio.core.spi.IommuDriver}; {@code device:exact}, {@code device:mlx5} or {@code device:pds}
 * for device DMA logging with that profile ({@code VFIO_DEVICE_FEATURE_DMA_LOGGING_*}); {@code
 * type1} for the legacy VFIO container's dirty tracking with physical devices ({@code
 * VFIO_IOMMU_DIRTY_PAGES}: a group that never pins makes every mapped page dirty in every round),
 * {@code type1-pinned} for the same with emulated devices that pin the pages they write (reported
 * exactly); {@code none} when nothing tracks DMA, so every mapped page is dirty in every round.
 *
 * @param kind which mechanism
 * @param profile the IOMMU vendor name ({@value #AUTO} for the default one), the device profile
 *     ({@code exact}, {@code mlx5}, {@code pds}) or the type1 device kind ({@code physical}, {@code
 *     pinned}); empty for {@link Kind#NONE}
 */
public record Tracker(Kind kind, String profile) {
  /** The IOMMU name that stands for "amd-v1 if it is registered, else mock". */
  public static final String AUTO = "auto";

  /** The device DMA-logging profiles. */
  public static final List<String> DEVICE_PROFILES = List.of("exact", "mlx5", "pds");

  /** The tracking mechanism. */
  public enum Kind {
    /** IOMMU hardware dirty bits in a dirty-tracking HWPT. */
    IOMMU,
    /** Each device's own DMA logging ({@code VFIO_DEVICE_FEATURE_DMA_LOGGING_*}). */
    DEVICE,
    /** The legacy type1 container's {@code VFIO_IOMMU_DIRTY_PAGES}. */
    TYPE1,
    /** No DMA tracking: every mapped page counts as dirty in every round. */
    NONE
  }

  /**
   * Checks the profile against the kind.
   *
   * @param kind which mechanism
   * @param profile the IOMMU vendor or device profile; empty for {@link Kind#NONE}
   * @throws IllegalArgumentException for an empty vendor, an unknown device profile, or a profile
   *     with {@link Kind#NONE}
   */
  public Tracker {
    switch (kind) {
      case IOMMU -> {
        if (profile.isEmpty()) {
          throw new IllegalArgumentException("iommu tracker without a vendor name");
        }
      }
      case DEVICE -> {
        if (!DEVICE_PROFILES.contains(profile)) {
          throw new IllegalArgumentException(
              "unknown device tracker profile '" + profile + "' (exact, mlx5 or pds)");
        }
      }
      case TYPE1 -> {
        if (!profile.equals("physical") && !profile.equals("pinned")) {
          throw new IllegalArgumentException("type1 devices are physical or pinned");
        }
      }
      default -> {
        if (!profile.isEmpty()) {
          throw new IllegalArgumentException("tracker none takes no profile");
        }
      }
    }
  }

  /**
   * Returns IOMMU dirty tracking with the named vendor.
   *
   * @param vendor a registered IOMMU driver's name, or {@value #AUTO} for the default
   * @return the tracker
   */
  public static Tracker iommu(String vendor) {
    return new Tracker(Kind.IOMMU, vendor);
  }

  /**
   * Returns device DMA logging with a profile.
   *
   * @param profile {@code exact}, {@code mlx5} or {@code pds}
   * @return the tracker
   */
  public static Tracker device(String profile) {
    return new Tracker(Kind.DEVICE, profile);
  }

  /**
   * Returns the legacy type1 container's tracking: {@code pinned} for emulated devices that pin the
   * pages they write, else physical devices.
   *
   * @param pinned whether the devices are emulated and pin the pages they write
   * @return the tracker
   */
  public static Tracker type1(boolean pinned) {
    return new Tracker(Kind.TYPE1, pinned ? "pinned" : "physical");
  }

  /**
   * Returns no tracking.
   *
   * @return the tracker
   */
  public static Tracker none() {
    return new Tracker(Kind.NONE, "");
  }

  /**
   * Parses the command-line form: {@code iommu}, {@code iommu:<vendor>}, {@code
   * device:exact|mlx5|pds}, {@code type1}, {@code type1-pinned} or {@code none} (case-insensitive).
   *
   * @param text the command-line form
   * @return the tracker
   * @throws IllegalArgumentException for anything else
   */
  public static Tracker parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    int colon = t.indexOf(':');
    String kind = colon < 0 ? t : t.substring(0, colon);
    String profile = colon < 0 ? "" : t.substring(colon + 1);
    return switch (kind) {
      case "iommu" -> iommu(colon < 0 ? AUTO : profile);
      case "device" -> device(profile);
      case "type1" -> colon < 0 ? type1(false) : new Tracker(Kind.TYPE1, profile);
      case "type1-pinned" -> colon < 0 ? type1(true) : new Tracker(Kind.TYPE1, profile);
      case "none" -> new Tracker(Kind.NONE, profile);
      default ->
          throw new IllegalArgumentException(
              "not a tracker: '"
                  + text
                  + "' (iommu[:<vendor>], device:exact|mlx5|pds, type1, type1-pinned, none)");
    };
  }

  /**
   * Returns the command-line form, e.g. {@code iommu:amd-v1}, {@code device:mlx5}, {@code
   * type1-pinned}, {@code none}.
   */
  @Override
  public String toString() {
    return switch (kind) {
      case NONE -> "none";
      case TYPE1 -> profile.equals("pinned") ? "type1-pinned" : "type1";
      default -> kind.name().toLowerCase(Locale.ROOT) + ":" + profile;
    };
  }
}
