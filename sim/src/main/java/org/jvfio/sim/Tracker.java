package org.jvfio.sim;

import java.util.List;
import java.util.Locale;

/**
 * How the simulated migration learns which guest pages devices wrote.
 *
 * <p>Written as on the command line: {@code iommu} (the default IOMMU model) or {@code
 * iommu:<vendor>} for IOMMU HWPT dirty tracking ({@code IOMMU_HWPT_GET_DIRTY_BITMAP}) with a vendor
 * registered with {@link org.jvfio.core.spi.IommuDriver}; {@code device:exact}, {@code device:mlx5}
 * or {@code device:pds} for device DMA logging with that profile (docs/fidelity.md, "VFIO device
 * features and DMA logging"); {@code none} when nothing tracks DMA, so every mapped page is dirty
 * in every round.
 *
 * @param kind which mechanism
 * @param profile the IOMMU vendor name ({@value #AUTO} for the default one) or the device profile
 *     ({@code exact}, {@code mlx5}, {@code pds}); empty for {@link Kind#NONE}
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
   * Returns no tracking.
   *
   * @return the tracker
   */
  public static Tracker none() {
    return new Tracker(Kind.NONE, "");
  }

  /**
   * Parses the command-line form: {@code iommu}, {@code iommu:<vendor>}, {@code
   * device:exact|mlx5|pds} or {@code none} (case-insensitive).
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
      case "none" -> new Tracker(Kind.NONE, profile);
      default ->
          throw new IllegalArgumentException(
              "not a tracker: '" + text + "' (iommu[:<vendor>], device:exact|mlx5|pds, none)");
    };
  }

  /**
   * Returns the command-line form, e.g. {@code iommu:amd-v1}, {@code device:mlx5}, {@code none}.
   */
  @Override
  public String toString() {
    return kind == Kind.NONE ? "none" : kind.name().toLowerCase(Locale.ROOT) + ":" + profile;
  }
}
